// The billing pages' shared parts: the tier cards with their month/year switch (pricing page, the
// member's plan page), the checkout form every Upgrade button is, the refusal notice those forms
// come back with, and the revenue chart.
import { useEffect, useRef, useState } from "react";
import { Trans, useTranslation } from "react-i18next";
import { Form, useLocation, useSearchParams } from "react-router";
import { Name } from "./name";
import { SubmitButton } from "./form-bits";
import { Alert, Badge, cx, focusRing, TextLink } from "./ui";
import { billingPath, knownStatuses, moneyText, planIsLive, type Interval, type IntervalPrices, type PricingAnswer } from "../lib/billing";
import { LocalTime } from "./local-time";
import { tierRank, type TierKey } from "../lib/types";

/**
 * Starts a checkout for `tier` and `interval`: a POST to the billing page's action, which answers
 * with a redirect to Stripe's (or the stand-in's) checkout. `from` is where a refusal comes back to
 * (this page by default).
 */
export function CheckoutForm({
  slug,
  tier,
  interval,
  label,
  from,
  size = "md",
  className,
  autoSubmit = false,
}: {
  slug: string;
  tier: TierKey;
  interval: Interval;
  label: string;
  from?: string;
  size?: "sm" | "md" | "lg";
  className?: string;
  /**
   * Submit at once, once per page address in this tab: someone who picked this card, signed up and
   * came back goes straight on to checkout (the Back button from Stripe does not send them again).
   */
  autoSubmit?: boolean;
}) {
  const location = useLocation();
  const form = useRef<HTMLFormElement>(null);
  useEffect(() => {
    if (!autoSubmit || !form.current) return;
    const key = `enclave.checkout.auto:${location.pathname}${location.search}`;
    if (sessionStorage.getItem(key)) return;
    sessionStorage.setItem(key, "1");
    // the button as submitter: its intent=checkout goes with the form, as on a click
    form.current.requestSubmit(form.current.querySelector<HTMLButtonElement>('button[type="submit"]') ?? undefined);
  }, [autoSubmit, location.pathname, location.search]);
  return (
    <Form ref={form} method="post" action={billingPath(slug)} className={className}>
      <input type="hidden" name="tier" value={tier} />
      <input type="hidden" name="interval" value={interval} />
      <input type="hidden" name="from" value={from ?? location.pathname + location.search} />
      <SubmitButton intent="checkout" size={size} className="w-full">
        {label}
      </SubmitButton>
    </Form>
  );
}

/** The refusal a checkout or portal form came back with (`?billing_error=<code>`), in the reader's language. */
export function BillingNotice() {
  const { t } = useTranslation();
  const [params] = useSearchParams();
  const code = params.get("billing_error");
  if (!code) return null;
  return (
    <Alert tone="danger" className="mb-4">
      {t(`billing.errors.${code}`, { defaultValue: t("billing.errors.generic") })}
    </Alert>
  );
}

/** Whether a plan is a free trial set to cancel: it ends with the trial and charges nothing (so no price is shown for it). */
export const trialCancelling = (plan: { status: string; cancelAtPeriodEnd: boolean }) => plan.status === "trialing" && plan.cancelAtPeriodEnd;

/** "Cancels on 3 Jan", "Trial ends, nothing charged, on 3 Jan", "Past due", …: a plan's status in words (the plan page, the account's billing page). */
export function PlanStatusBadge({ plan }: { plan: { status: string; cancelAtPeriodEnd: boolean; currentPeriodEnd: string | null; trialEnd: string | null } }) {
  const { t } = useTranslation();
  // the date sits inside the sentence where each language puts it (one span: the badge is a flex box, which drops bare spaces)
  const dated = (key: string, value: string, testId?: string) => (
    <Badge tone="warning">
      <span data-testid={testId}>
        <Trans i18nKey={key} components={{ date: <LocalTime value={value} /> }} />
      </span>
    </Badge>
  );
  const trialEnd = plan.trialEnd ?? plan.currentPeriodEnd;
  if (trialCancelling(plan) && trialEnd) return dated("billing.status.trialCancels", trialEnd, "trial-cancels");
  if (plan.cancelAtPeriodEnd && plan.currentPeriodEnd && planIsLive(plan.status)) return dated("billing.status.cancelsOn", plan.currentPeriodEnd);
  const known = (knownStatuses as readonly string[]).includes(plan.status);
  const tone = plan.status === "active" || plan.status === "trialing" ? "success" : plan.status === "past_due" ? "danger" : "neutral";
  return <Badge tone={tone}>{known ? t(`billing.status.${plan.status}`) : plan.status}</Badge>;
}

/**
 * Why the reader cannot buy here — the API's `checkoutRefusal` (GET …/billing/me and …/pricing) —
 * said once above the plans, which then carry no buttons: the owner and admins already have every
 * space (`role` says which), a live plan is changed in the portal, a banned reader buys nothing; a
 * value this page does not know yet reads as a generic line, never as a code.
 */
export function CheckoutRefusalNotice({ refusal, role, planLink, onPlanPage = false }: { refusal: string; role: string | null; planLink?: string; onPlanPage?: boolean }) {
  const { t } = useTranslation();
  const text =
    refusal === "role_grants_every_tier"
      ? t(`billing.staffHasEverything.${role === "owner" ? "owner" : "admin"}`)
      : // on the plan page itself Manage billing is right above
        t(`billing.refusal.${refusal === "manage_in_portal" && onPlanPage ? "manage_in_portal_here" : refusal}`, { defaultValue: t("billing.refusal.generic") });
  return (
    <Alert tone="info">
      <p data-testid={refusal === "role_grants_every_tier" ? "staff-has-everything" : "checkout-refusal"} data-refusal={refusal}>
        {text}
      </p>
      {refusal === "manage_in_portal" && planLink ? (
        <p className="mt-2">
          <TextLink to={planLink}>{t("billing.seePlan")}</TextLink>
        </p>
      ) : null}
    </Alert>
  );
}

/**
 * Payments are not configured on this deployment (no Stripe key: `paymentsConfigured`), so the
 * plans carry no buttons. Members and visitors read that buying is not available yet; the owner
 * and admins (`settingsLink`) read why and where the billing settings say how to turn it on.
 */
export function PaymentsOffNotice({ settingsLink }: { settingsLink?: string | null }) {
  const { t } = useTranslation();
  return settingsLink ? (
    <Alert tone="warning" title={t("billing.paymentsOff.staffTitle")}>
      <p data-testid="payments-off">{t("billing.paymentsOff.staffBody")}</p>
      <p className="mt-2">
        <TextLink to={settingsLink}>{t("billing.paymentsOff.settingsLink")}</TextLink>
      </p>
    </Alert>
  ) : (
    <Alert tone="info" title={t("billing.paymentsOff.title")}>
      <p data-testid="payments-off">{t("billing.paymentsOff.body")}</p>
    </Alert>
  );
}

/** Month / year, as a pair of toggle buttons (keyboard: Tab and Enter/Space). */
export function IntervalSwitch({ value, onChange }: { value: Interval; onChange: (interval: Interval) => void }) {
  const { t } = useTranslation();
  return (
    <div role="group" aria-label={t("billing.intervalLabel")} className="inline-flex rounded-xl bg-slate-200/70 p-1">
      {(["month", "year"] as const).map((interval) => (
        <button
          key={interval}
          type="button"
          aria-pressed={value === interval}
          onClick={() => onChange(interval)}
          className={cx("rounded-lg px-3 py-1.5 text-sm font-semibold", focusRing, value === interval ? "bg-white text-slate-900 shadow-sm" : "text-slate-700 hover:text-slate-900")}
        >
          {t(`billing.interval.${interval}`)}
        </button>
      ))}
    </div>
  );
}

type CardTier = PricingAnswer["tiers"][number];

/**
 * The paid tiers as cards with the interval switch. `currentTier` marks the reader's tier (and
 * leaves no button on it or below); `action(tier, interval)` is the card's button, or null for
 * none (signed-out readers get a sign-up link from the caller instead).
 */
export function TierCards({
  tiers,
  locale,
  currentTier,
  initialInterval = "month",
  trialEligible = true,
  action,
}: {
  tiers: CardTier[];
  locale: string;
  currentTier: TierKey | null;
  initialInterval?: Interval;
  /** false for someone who had a subscription here before: the trial is offered once (API `trialEligible`) */
  trialEligible?: boolean;
  action: (tier: CardTier, interval: Interval) => React.ReactNode;
}) {
  const { t } = useTranslation();
  const offersYear = tiers.some((x) => x.prices.year);
  const [interval, setInterval] = useState<Interval>(initialInterval);
  const priceOf = (prices: IntervalPrices) => prices[interval] ?? null;
  return (
    <div className="space-y-4">
      {offersYear ? <IntervalSwitch value={interval} onChange={setInterval} /> : null}
      <ul className="grid gap-4 sm:grid-cols-2">
        {/* a paid tier with no price is not on sale: no card; the free tier says it is free */}
        {tiers.filter((tier) => tier.key === "free" || tier.prices.month || tier.prices.year).map((tier) => {
          const price = priceOf(tier.prices);
          const current = currentTier === tier.key;
          const included = currentTier !== null && tierRank[currentTier] >= tierRank[tier.key];
          return (
            <li key={tier.key} className={cx("flex flex-col rounded-2xl border bg-white p-5 shadow-sm", current ? "border-brand-600 ring-1 ring-brand-600" : "border-slate-200")} data-tier={tier.key}>
              <div className="flex flex-wrap items-center justify-between gap-2">
                <h3 className="text-lg font-semibold text-slate-900">
                  <Name>{tier.name}</Name>
                </h3>
                {current ? <Badge tone="brand">{t("billing.currentPlan")}</Badge> : null}
              </div>
              {tier.description ? <p className="mt-1 text-sm text-slate-600">{tier.description}</p> : null}
              <p className="mt-4 text-slate-900">
                {tier.key === "free" ? (
                  <span className="text-3xl font-bold">{t("billing.free")}</span>
                ) : price ? (
                  <>
                    <span className="text-3xl font-bold">{moneyText(price, locale)}</span>{" "}
                    <span className="text-sm text-slate-600">{t(`billing.per.${interval}`)}</span>
                  </>
                ) : (
                  <span className="text-sm text-slate-600">{t(`billing.notSold.${interval}`)}</span>
                )}
              </p>
              {trialEligible && tier.trialDays > 0 ? (
                <p className="mt-2">
                  <Badge tone="success">{t("billing.trialBadge", { count: tier.trialDays })}</Badge>
                </p>
              ) : null}
              <div className="mt-auto pt-5">{price && !included ? action(tier, interval) : null}</div>
            </li>
          );
        })}
      </ul>
    </div>
  );
}

/**
 * The last months' MRR in one currency as bars (inline SVG, no chart library), headed by that
 * currency's code: each bar has its amount as a title and the whole chart a text alternative
 * listing every month, so a screen reader hears the figures, not a picture. `history`:
 * [{month: "YYYY-MM", mrr}] in minor units of `currency`; one chart per currency, never converted.
 */
export function RevenueChart({ history, currency, locale }: { history: Array<{ month: string; mrr: number }>; currency: string; locale: string }) {
  const { t } = useTranslation();
  const max = Math.max(1, ...history.map((h) => h.mrr));
  const monthLabel = (month: string) => {
    const [y, m] = month.split("-").map(Number);
    return new Intl.DateTimeFormat(locale, { month: "short", timeZone: "UTC" }).format(new Date(Date.UTC(y, (m || 1) - 1, 1)));
  };
  const width = 300;
  const height = 120;
  const slot = width / Math.max(1, history.length);
  const summary = history.map((h) => `${monthLabel(h.month)} ${moneyText({ amount: h.mrr, currency }, locale)}`).join(", ");
  const code = currency.toUpperCase();
  return (
    <figure data-testid={`revenue-chart-${currency}`}>
      <h3 className="mb-2 text-sm font-semibold text-slate-800">{t("revenue.historyCurrency", { currency: code })}</h3>
      <svg viewBox={`0 0 ${width} ${height + 20}`} role="img" aria-label={t("revenue.chartLabel", { currency: code, summary })} className="h-auto w-full max-w-md">
        {history.map((h, i) => {
          const barHeight = Math.round((h.mrr / max) * height);
          return (
            <g key={h.month}>
              <title>{`${monthLabel(h.month)}: ${moneyText({ amount: h.mrr, currency }, locale)}`}</title>
              <rect x={i * slot + slot * 0.2} y={height - barHeight} width={slot * 0.6} height={Math.max(barHeight, 1)} rx={3} className="fill-brand-600" />
              <text x={i * slot + slot / 2} y={height + 15} textAnchor="middle" className="fill-slate-600 text-[10px]">
                {monthLabel(h.month)}
              </text>
            </g>
          );
        })}
      </svg>
      <figcaption className="mt-2 text-xs text-slate-600">{t("revenue.chartCaption")}</figcaption>
    </figure>
  );
}
