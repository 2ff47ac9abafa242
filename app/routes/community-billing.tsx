// The member's plan (issue 14 point 5): tier, status, renewal in the reader's zone, "Manage
// billing" (Stripe's customer portal) and the tiers above theirs. Its action is where every
// checkout and portal form of the app posts: it answers with a redirect to Stripe (ADR 039).
import { useTranslation } from "react-i18next";
import { Form, redirect } from "react-router";
import type { Route } from "./+types/community-billing";
import { CommunityHeader } from "../components/community-header";
import { BillingNotice, CheckoutForm, CheckoutRefusalNotice, PaymentsOffNotice, PlanStatusBadge, TierCards, trialCancelling } from "../components/billing";
import { SubmitButton } from "../components/form-bits";
import { LocalTime, useReaderClock } from "../components/local-time";
import { Alert, Badge, ButtonLink, Card, Container, LoadError } from "../components/ui";
import { cloudflareContext } from "../context";
import { findLocale } from "../i18n/locale.server";
import { openMemberPage } from "../lib/community.server";
import { backWithError, checkoutChoice, checkoutFor, paymentsConfigured, portalFor } from "../lib/billing.server";
import { billingPath, moneyText, type BillingMe, planIsLive } from "../lib/billing";
import { readPricingPage } from "../../workers/billing/catalog";
import { readMyBilling } from "../../workers/billing/reads";
import { roleGrantsEveryTier } from "../../workers/billing/checkout";
import { field, unknownIntent } from "../lib/forms.server";
import { attempt } from "../lib/use-case.server";

export async function loader({ context, request, params }: Route.LoaderArgs) {
  const cf = context.get(cloudflareContext);
  const { answer, member } = await openMemberPage(cf, request, params.slug);
  const [me, pricing] = await Promise.all([attempt(() => readMyBilling(cf.env, member)), attempt(() => readPricingPage(cf.env, params.slug))]);
  return {
    ...answer,
    locale: findLocale(request, cf.user),
    staffRole: roleGrantsEveryTier(member) ? (member.role as "owner" | "admin") : null,
    me: me.ok ? me.data : null,
    meFailed: !me.ok,
    // unpublished pricing (404) is no offer, not a failure: the page says so
    pricing: pricing.ok ? pricing.data : null,
    // without a Stripe key no checkout or portal can open: no button that would only fail
    paymentsOn: paymentsConfigured(cf.env),
  };
}

export async function action({ context, request, params }: Route.ActionArgs) {
  const cf = context.get(cloudflareContext);
  const form = await request.formData();
  const intent = field(form, "intent");
  const from = field(form, "from") || null;
  const slug = params.slug;
  if ((intent === "checkout" || intent === "portal") && !paymentsConfigured(cf.env)) {
    // a page rendered before the keys went (or a crafted post): refused before anyone is asked to sign up
    return backWithError(slug, from, "payments_not_configured");
  }
  if (intent === "checkout") {
    const choice = checkoutChoice(form);
    if (!choice) return backWithError(slug, from, "invalid_choice");
    // a visitor from the pricing page signs up (or in) first and comes back to the same card
    if (!cf.user) {
      const back = `/c/${slug}/pricing?tier=${choice.tier}&interval=${choice.interval}`;
      throw redirect(`/signup?next=${encodeURIComponent(back)}`);
    }
    // someone not in the community yet buys from the pricing page and joins when the purchase
    // completes (the webhook; ADR 037 addendum): the API decides who may, as for a member
    const result = await checkoutFor(cf, request, slug, choice);
    if (!result.ok) return backWithError(slug, from, result.error.code);
    return redirect(result.data.url);
  }
  if (intent === "portal") {
    if (!cf.user) throw redirect(`/login?next=${encodeURIComponent(billingPath(slug))}`);
    const result = await portalFor(cf, request, slug);
    if (!result.ok) return backWithError(slug, from, result.error.code === "not_found" ? "no_customer" : result.error.code);
    return redirect(result.data.url);
  }
  return unknownIntent();
}

/**
 * The plan's dates: when a live plan renews (or its trial ends); for a past-due one, until when
 * the tier holds (`graceEndsAt`, the end of the community's grace) or since when it lapsed.
 */
function PlanDates({ subscription, tierName }: { subscription: NonNullable<BillingMe["subscription"]>; tierName: string }) {
  const { t } = useTranslation();
  const { now } = useReaderClock();
  const graceEnd = subscription.graceEndsAt;
  if (subscription.status === "past_due") {
    if (!graceEnd) return null;
    const lapsed = Date.parse(graceEnd) <= now;
    return (
      <div>
        <dt className="text-sm text-slate-600">{lapsed ? t("billing.graceEnded", { tier: tierName }) : t("billing.graceUntil", { tier: tierName })}</dt>
        <dd className="mt-1 font-semibold text-red-800" data-testid="plan-grace-end">
          <LocalTime value={graceEnd} withTime />
        </dd>
      </div>
    );
  }
  if (!planIsLive(subscription.status) || !subscription.currentPeriodEnd || subscription.cancelAtPeriodEnd) return null;
  const trial = subscription.status === "trialing";
  return (
    <div>
      <dt className="text-sm text-slate-600">{trial ? t("billing.trialEnds") : t("billing.renews")}</dt>
      <dd className="mt-1 text-slate-900">
        <LocalTime value={trial && subscription.trialEnd ? subscription.trialEnd : subscription.currentPeriodEnd} />
      </dd>
    </div>
  );
}

export default function CommunityBilling({ loaderData }: Route.ComponentProps) {
  const { t } = useTranslation();
  const { community, viewer, locale, me, meFailed, pricing, staffRole, paymentsOn } = loaderData;
  const sub = me?.subscription ?? null;
  // an ended plan (cancelled, expired) neither renews nor stands in the way of buying again
  const live = sub !== null && planIsLive(sub.status);
  // why checkout would refuse the reader whatever the tier: the API's checkoutRefusal (if the plan
  // could not be read, the same rule from what the page has)
  const refusal = me ? me.checkoutRefusal : staffRole ? "role_grants_every_tier" : live ? "manage_in_portal" : null;
  const tierName = (key: string) => pricing?.tiers.find((x) => x.key === key)?.name ?? t(`tiers.${key}`);
  const settingsLink = staffRole ? `/c/${community.slug}/settings/billing` : null;
  return (
    <>
      <title>{t("billing.planTitle") + " · " + community.name}</title>
      <CommunityHeader community={community} viewer={viewer} />
      <Container size="md" className="space-y-6">
        <BillingNotice />
        <Card aria-labelledby="plan-heading">
          <div className="mb-4">
            <h2 id="plan-heading" className="text-base font-semibold text-slate-900">
              {t("billing.planTitle")}
            </h2>
          </div>
          {meFailed || !me ? (
            <LoadError message={t("billing.planLoadError")} />
          ) : (
            <div className="space-y-4">
              <dl className="grid gap-4 sm:grid-cols-2">
                {staffRole ? (
                  // the owner and admins pass every tier by role: no tier (and no "Free") is theirs
                  <div className="sm:col-span-2">
                    <dt className="text-sm text-slate-600">{t("billing.accessLabel")}</dt>
                    <dd className="mt-1 text-lg font-semibold text-slate-900" data-testid="plan-tier">
                      {t(`billing.staffAccess.${staffRole}`)}
                    </dd>
                  </div>
                ) : (
                  <div>
                    <dt className="text-sm text-slate-600">{t("billing.yourTier")}</dt>
                    <dd className="mt-1 text-lg font-semibold text-slate-900" data-testid="plan-tier">
                      {tierName(me.tier)}
                    </dd>
                    {me.compTier && me.compTier !== "free" && me.compTier === me.tier ? <dd className="text-sm text-slate-600">{t("billing.compGranted")}</dd> : null}
                  </div>
                )}
                {sub ? (
                  <>
                    <div>
                      <dt className="text-sm text-slate-600">{t("billing.statusLabel")}</dt>
                      <dd className="mt-1" data-testid="plan-status">
                        <PlanStatusBadge plan={sub} />
                      </dd>
                    </div>
                    {/* an ended plan, or a trial set to cancel, charges nothing: its price would read as what they pay */}
                    {live && !trialCancelling(sub) ? (
                      <div>
                        <dt className="text-sm text-slate-600">{t("billing.price")}</dt>
                        <dd className="mt-1 text-slate-900">
                          {moneyText(sub, locale)} {t(`billing.per.${sub.interval}`)}
                          {sub.listAmount !== null ? (
                            <span className="ml-2 text-sm text-slate-600" data-testid="plan-list-price">
                              {t("billing.afterDiscount", { price: moneyText({ amount: sub.listAmount, currency: sub.currency }, locale) })}
                            </span>
                          ) : null}
                        </dd>
                      </div>
                    ) : null}
                    <PlanDates subscription={sub} tierName={tierName(sub.tier)} />
                  </>
                ) : staffRole ? null : (
                  <div>
                    <dt className="text-sm text-slate-600">{t("billing.statusLabel")}</dt>
                    <dd className="mt-1 text-sm text-slate-700">{t("billing.noSubscription")}</dd>
                  </div>
                )}
              </dl>
              {staffRole && sub && live && !sub.cancelAtPeriodEnd ? (
                // made admin (or owner) while paying: the role already opens every space, the plan still charges
                <Alert tone="warning">
                  <p data-testid="staff-plan-renews">{t(paymentsOn ? "billing.staffPlanRenews" : "billing.staffPlanRenewsNoPortal", { tier: tierName(sub.tier), role: t(`roles.${staffRole}`) })}</p>
                </Alert>
              ) : null}
              {sub?.status === "past_due" ? <Alert tone="warning">{t(paymentsOn ? "billing.pastDueHelp" : "billing.pastDueHelpNoPortal", { tier: tierName(sub.tier) })}</Alert> : null}
              {sub && paymentsOn ? (
                <Form method="post">
                  <input type="hidden" name="from" value={billingPath(community.slug)} />
                  <SubmitButton intent="portal" variant="secondary">
                    {t("billing.manage")}
                  </SubmitButton>
                  <p className="mt-2 text-sm text-slate-600">{t("billing.manageHelp")}</p>
                </Form>
              ) : sub ? (
                <p className="text-sm text-slate-600" data-testid="manage-unavailable">
                  {t("billing.manageUnavailable")}
                </p>
              ) : null}
            </div>
          )}
        </Card>

        <Card aria-labelledby="upgrade-heading">
          <div className="mb-4">
            <h2 id="upgrade-heading" className="text-base font-semibold text-slate-900">
              {t("billing.choosePlan")}
            </h2>
          </div>
          <div className="mb-4 space-y-3 empty:hidden">
            {!paymentsOn ? <PaymentsOffNotice settingsLink={settingsLink} /> : null}
            {/* with payments off nothing is for sale to anyone: one notice, except the staff's own reason */}
            {refusal && (paymentsOn || staffRole) ? <CheckoutRefusalNotice refusal={refusal} role={staffRole} onPlanPage /> : null}
          </div>
          {pricing ? (
            <TierCards
              trialEligible={me?.trialEligible ?? true}
              tiers={pricing.tiers}
              locale={locale}
              // the owner and admins hold every space by role: no card is marked as theirs
              currentTier={staffRole ? null : (me?.tier ?? viewer?.tier ?? null)}
              action={(tier, interval) =>
                !paymentsOn || refusal ? null : (
                  <CheckoutForm slug={community.slug} tier={tier.key} interval={interval} label={t("billing.upgradeTo", { tier: tier.name })} />
                )
              }
            />
          ) : paymentsOn ? (
            <p className="text-sm text-slate-600">{t("billing.notOnSale")}</p>
          ) : null}
          {pricing ? (
            <p className="mt-4 text-sm">
              <ButtonLink to={`/c/${community.slug}/pricing`} variant="ghost" size="sm">
                {t("billing.seePricingPage")}
              </ButtonLink>
            </p>
          ) : null}
        </Card>
      </Container>
    </>
  );
}
