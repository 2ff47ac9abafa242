// The public pricing page (issue 14 point 2): the community's name, description and paid tiers
// with their prices in the reader's locale — never content, so a private community may publish
// it too. A visitor signs up (or in) from a card and comes back here to continue to checkout.
import { useTranslation } from "react-i18next";
import { data, useSearchParams } from "react-router";
import type { Route } from "./+types/community-pricing";
import { BillingNotice, CheckoutForm, CheckoutRefusalNotice, PaymentsOffNotice, TierCards } from "../components/billing";
import { Name } from "../components/name";
import { Alert, ButtonLink, Container, TextLink } from "../components/ui";
import { cloudflareContext } from "../context";
import { findLocale } from "../i18n/locale.server";
import { attempt } from "../lib/use-case.server";
import { billingPath, type Interval } from "../lib/billing";
import { paymentsConfigured, pricingRefusal } from "../lib/billing.server";
import { roleGrantsEveryTier } from "../../workers/billing/checkout";
import { readPricingPage } from "../../workers/billing/catalog";

export async function loader({ context, request, params }: Route.LoaderArgs) {
  const cf = context.get(cloudflareContext);
  const [pricing, place] = await Promise.all([
    attempt(() => readPricingPage(cf.env, params.slug)),
    // the reader's place, if any, and why checkout would refuse them (GET …/pricing's checkoutRefusal)
    attempt(() => pricingRefusal(cf, params.slug)),
  ]);
  // unpublished (or no such community): the same 404 page either way, as the API answers
  if (!pricing.ok) throw data(null, { status: pricing.status >= 500 ? 503 : 404 });
  const access = place.ok ? place.data.access : null;
  const member = access?.membership ? access : null;
  return {
    pricing: pricing.data,
    locale: findLocale(request, cf.user),
    signedIn: Boolean(cf.user),
    tier: member?.tier ?? null,
    staffRole: member && roleGrantsEveryTier(member) ? (member.role as "owner" | "admin") : null,
    checkoutRefusal: place.ok ? place.data.refusal : null,
    trialEligible: place.ok ? place.data.trialEligible : true,
    // without a Stripe key nothing can be bought: the page stays (the owner published it) with no buttons
    paymentsOn: paymentsConfigured(cf.env),
  };
}

export default function CommunityPricing({ loaderData }: Route.ComponentProps) {
  const { t } = useTranslation();
  const [params] = useSearchParams();
  const { pricing, locale, signedIn, tier, staffRole, checkoutRefusal, paymentsOn, trialEligible } = loaderData;
  const slug = pricing.community.slug;
  const picked = params.get("tier");
  const pickedInterval: Interval = params.get("interval") === "year" ? "year" : "month";
  // anyone signed in can buy from a published pricing page (buying is joining, ADR 037 addendum),
  // unless payments are off or the API says why not (the owner and admins, a live plan, a ban)
  const canBuy = paymentsOn && signedIn && checkoutRefusal === null;
  const back = (key: string, interval: Interval) => `/c/${slug}/pricing?tier=${key}&interval=${interval}`;
  return (
    <>
      <title>{t("pricing.title", { name: pricing.community.name })}</title>
      <Container size="md" className="space-y-6">
        <header>
          <p className="text-sm font-medium text-brand-700">{t("pricing.eyebrow")}</p>
          <h1 className="mt-1 text-balance text-2xl font-bold tracking-tight text-slate-900 sm:text-3xl">
            <Name>{pricing.community.name}</Name>
          </h1>
          {pricing.community.description ? <p className="mt-3 whitespace-pre-line text-base text-slate-700">{pricing.community.description}</p> : null}
        </header>
        <BillingNotice />
        {!paymentsOn ? <PaymentsOffNotice settingsLink={staffRole ? `/c/${slug}/settings/billing` : null} /> : null}
        {signedIn && picked && canBuy ? <Alert tone="info">{t("pricing.continueHint")}</Alert> : null}
        {paymentsOn && checkoutRefusal ? <CheckoutRefusalNotice refusal={checkoutRefusal} role={staffRole} planLink={tier !== null ? billingPath(slug) : undefined} /> : null}
        {pricing.tiers.length === 0 ? (
          <p className="text-sm text-slate-600">{t("pricing.noTiers")}</p>
        ) : (
          <TierCards
            trialEligible={trialEligible}
            tiers={pricing.tiers}
            locale={locale}
            // the owner and admins hold every space by role, not a tier of these: no card is theirs
            currentTier={staffRole ? null : tier}
            initialInterval={pickedInterval}
            action={(card, interval) =>
              !paymentsOn ? null : !signedIn ? (
                <div className="space-y-2">
                  <ButtonLink to={`/signup?next=${encodeURIComponent(back(card.key, interval))}`} className="w-full">
                    {t("pricing.joinAndSubscribe")}
                  </ButtonLink>
                  <p className="text-center text-sm text-slate-600">
                    <TextLink to={`/login?next=${encodeURIComponent(back(card.key, interval))}`}>{t("pricing.haveAccount")}</TextLink>
                  </p>
                </div>
              ) : canBuy ? (
                <CheckoutForm
                  slug={slug}
                  tier={card.key}
                  interval={interval}
                  label={t("pricing.subscribe", { tier: card.name })}
                  size={picked === card.key ? "lg" : "md"}
                  // back from sign-up (or sign-in) with this card picked: straight on to checkout, unless it was just refused
                  autoSubmit={picked === card.key && interval === pickedInterval && !params.get("billing_error")}
                />
              ) : null
            }
          />
        )}
        {/* how buying works, for someone who can buy or holds a plan (not to a banned reader or the staff) */}
        {paymentsOn && checkoutRefusal !== "banned" && checkoutRefusal !== "role_grants_every_tier" ? <p className="text-sm text-slate-600">{t("pricing.footnote")}</p> : null}
        {tier !== null ? (
          <p className="text-sm">
            <TextLink to={`/c/${slug}`}>{t("pricing.backToCommunity")}</TextLink>
          </p>
        ) : null}
      </Container>
    </>
  );
}
