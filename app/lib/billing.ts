// The billing answers as ADR 037 ("Routes") defines them, for the pages and their components. The
// routes are built beside the pages (workers/api/billing*.ts); these types are the contract the
// pages read, kept in one place so a change to the contract breaks the type check here.
import type { TierKey } from "./types";
import { currencyRule, formatAmount, toMajorUnits } from "../../workers/billing/currency";
import { liveSubscriptionStatuses } from "../../workers/db/schema";

export const intervals = ["month", "year"] as const;
/** "month" | "year": Stripe's recurring interval for a price. */
export type Interval = (typeof intervals)[number];
/** The tiers a member can buy (ADR 037): free is never sold. */
export const paidTierKeys = ["member", "vip"] as const;
export type PaidTierKey = (typeof paidTierKeys)[number];

/** An amount in the currency's minor units as Stripe counts them (ADR 037 "Money"); currency lowercase ISO 4217. */
export type Money = { amount: number; currency: string };
export type IntervalPrices = { month: Money | null; year: Money | null };

/** GET /communities/:slug/billing (owner; admins read). */
export type BillingSettingsAnswer = {
  configured: boolean;
  mode: "stripe" | "stand-in" | null;
  settings: { currency: string; allowPromotionCodes: boolean; graceDays: number; refundPolicy: "revoke" | "keep"; pricingPublished: boolean };
  tiers: Array<{ key: TierKey; name: string; trialDays: number; prices: IntervalPrices }>;
};

/** GET /communities/:slug/pricing (public once published): never content. */
export type PricingAnswer = {
  community: { name: string; description: string; slug: string };
  currency: string;
  tiers: Array<{ key: TierKey; name: string; description: string; trialDays: number; prices: IntervalPrices }>;
};

/** GET /communities/:slug/billing/me: the caller's plan; `currentPeriodEnd`/`trialEnd` ISO instants (UTC); `amount` minor units per interval. */
export type BillingMe = {
  subscription: {
    tier: TierKey;
    status: string;
    interval: Interval;
    amount: number;
    currency: string;
    currentPeriodEnd: string | null;
    cancelAtPeriodEnd: boolean;
    trialEnd: string | null;
  } | null;
  paidTier: TierKey;
  compTier: TierKey | null;
  tier: TierKey;
};

/** GET /communities/:slug/billing/checkout/:sessionId: "done" once the webhook landed. */
export type CheckoutState = { state: "waiting" | "done"; tier: TierKey };

/** GET /communities/:slug/revenue (owner): amounts in minor units per month; `upgradeRate` a 0–1 fraction, null with no free members to count from. */
export type RevenueAnswer = {
  currency: string;
  mrr: Array<{ tier: TierKey; currency: string; amount: number }>;
  subscribers: { active: number; trialing: number; pastDue: number };
  newThisMonth: number;
  churnedThisMonth: number;
  upgradeRate: number | null;
  history: Array<{ month: string; mrr: number }>;
};

/** Where every checkout and portal form posts (the billing page's action): the one path the CSP lets leave for Stripe. */
export const billingPath = (slug: string) => `/c/${slug}/billing`;

/** The subscription statuses the plan shows in words; any other reads as its Stripe name. */
export const knownStatuses = ["trialing", "active", "past_due", "canceled", "unpaid", "incomplete", "incomplete_expired", "paused"] as const;

/**
 * `money` (minor units as Stripe counts them) for people in `locale`, with the currency table's
 * fraction digits (workers/billing/currency.ts: JPY none, TWD whole units). A currency the table
 * lacks (a price stored before it) is shown with its code, never thrown.
 */
export function moneyText(money: Money, locale: string): string {
  if (currencyRule(money.currency)) return formatAmount(money.amount, money.currency, locale);
  return `${money.amount} ${money.currency.toUpperCase()}`;
}

/** Digits, optionally grouped by thousands with commas ("1,200"), and a fraction after a point. */
const TYPED_AMOUNT = /^(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?$/;

/**
 * What the owner typed ("300", "4.99", "1,200") in `currency`'s major units → minor units as
 * Stripe counts them (TWD "300" → 30000, JPY "500" → 500), exactly, never rounded; null for
 * anything else: not a positive amount, more fraction digits than the currency shows (JPY "1500.5",
 * USD "4.999"), a comma that is not a thousands separator ("4,99" — a decimal comma would mean
 * 100× the price), exponents ("1e3"), or a currency the table lacks. Whether Stripe takes the
 * amount (whole TWD, minimums) is the route's check (`amountProblem`), which answers with the reason.
 */
export function toMinorUnits(typed: string, currency: string): number | null {
  const rule = currencyRule(currency);
  const match = TYPED_AMOUNT.exec(typed.trim());
  if (!rule || !match) return null;
  const fraction = match[2] ?? "";
  if (fraction.length > rule.displayDecimals) return null;
  const minor = Number(match[1].replace(/,/g, "") + fraction.padEnd(rule.apiDecimals, "0"));
  return Number.isSafeInteger(minor) && minor > 0 ? minor : null;
}

/** Minor units → the text an amount field shows ("300" for 30000 TWD, "4.99" for 499 USD). */
export function majorText(money: Money): string {
  return currencyRule(money.currency) ? String(toMajorUnits(money.amount, money.currency)) : String(money.amount);
}

/**
 * Whether a subscription in Stripe status `status` still holds or may regain its tier (active,
 * trialing, past_due, unpaid, paused): such a plan renews and is changed in the portal; an ended
 * one (canceled, incomplete_expired, incomplete) neither renews nor stands in the way of buying again.
 */
export const planIsLive = (status: string) => (liveSubscriptionStatuses as readonly string[]).includes(status);
