// The billing answers as ADR 037 ("Routes") defines them, for the pages and their components: the
// use cases' own types (workers/billing/*), which the routes answer too (ADR 039 addendum), and
// how the pages write money.
import type { Money } from "../../workers/billing/catalog";
import { currencyRule, toMajorUnits } from "../../workers/billing/currency";
import { liveSubscriptionStatuses } from "../../workers/db/schema";

export const intervals = ["month", "year"] as const;
/** "month" | "year": Stripe's recurring interval for a price. */
export type Interval = (typeof intervals)[number];
/** The tiers a member can buy (ADR 037): free is never sold. */
export const paidTierKeys = ["member", "vip"] as const;
export type PaidTierKey = (typeof paidTierKeys)[number];

/** An amount in the currency's minor units as Stripe counts them (ADR 037 "Money"); currency lowercase ISO 4217. */
export type { Money, IntervalPrices } from "../../workers/billing/catalog";
/** GET /communities/:slug/billing (owner; admins read). */
export type { BillingView as BillingSettingsAnswer } from "../../workers/billing/catalog";
/** GET /communities/:slug/pricing (public once published): never content. */
export type { PricingPage as PricingAnswer } from "../../workers/billing/catalog";
/** GET /communities/:slug/billing/me: the caller's plan; ISO instants (UTC); `amount` minor units per interval. */
export type { MyBilling as BillingMe, CheckoutState } from "../../workers/billing/reads";
/** GET /communities/:slug/revenue (owner): minor units per month, per currency; `upgradeRate` 0–1 or null. */
export type { Revenue as RevenueAnswer } from "../../workers/billing/revenue";

/** Where every checkout and portal form posts (the billing page's action): the one path the CSP lets leave for Stripe. */
export const billingPath = (slug: string) => `/c/${slug}/billing`;

/** The subscription statuses the plan shows in words; any other reads as its Stripe name. */
export const knownStatuses = ["trialing", "active", "past_due", "canceled", "unpaid", "incomplete", "incomplete_expired", "paused"] as const;

/**
 * `money` (minor units as Stripe counts them) for people in `locale`, with the currency table's
 * fraction digits (workers/billing/currency.ts: JPY none, TWD whole units) and the ISO code as its
 * sign ("TWD 300", "USD 4.99" in en and zh-Hant alike): a symbol is ambiguous across currencies
 * (zh-Hant writes TWD as a bare "$" beside USD's "US$"), a code never is. A currency the table
 * lacks (a price stored before it) is shown with its code and the raw amount, never thrown.
 */
export function moneyText(money: Money, locale: string): string {
  const rule = currencyRule(money.currency);
  if (!rule) return `${money.currency.toUpperCase()} ${money.amount}`;
  return new Intl.NumberFormat(locale, {
    style: "currency",
    currency: rule.code.toUpperCase(),
    currencyDisplay: "code",
    minimumFractionDigits: rule.displayDecimals,
    maximumFractionDigits: rule.displayDecimals,
  }).format(toMajorUnits(money.amount, money.currency));
}

/** Digits, optionally grouped by thousands with commas ("1,200"), and a fraction after a point. */
const TYPED_AMOUNT = /^(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?$/;

/**
 * What someone typed into a number field, as ASCII: Unicode NFKC folds the full-width digits,
 * comma, point and space a Chinese or Japanese IME types ("１，２００", "４．９９", "１２") into
 * "1,200", "4.99", "12" (UAX #15 compatibility mappings); then trimmed. The ideographic comma and
 * full stop ("、", "。") have no such mapping and stay refused.
 */
export const typedNumberText = (typed: string) => typed.normalize("NFKC").trim();

/**
 * What the owner typed ("300", "4.99", "1,200", or the same in full-width digits from an IME:
 * `typedNumberText`) in `currency`'s major units → minor units as
 * Stripe counts them (TWD "300" → 30000, JPY "500" → 500), exactly, never rounded; null for
 * anything else: not a positive amount, more fraction digits than the currency shows (JPY "1500.5",
 * USD "4.999"), a comma that is not a thousands separator ("4,99" — a decimal comma would mean
 * 100× the price), exponents ("1e3"), or a currency the table lacks. Whether Stripe takes the
 * amount (whole TWD, minimums) is the route's check (`amountProblem`), which answers with the reason.
 */
export function toMinorUnits(typed: string, currency: string): number | null {
  const rule = currencyRule(currency);
  const match = TYPED_AMOUNT.exec(typedNumberText(typed));
  if (!rule || !match) return null;
  const fraction = match[2] ?? "";
  if (fraction.length > rule.displayDecimals) return null;
  const minor = Number(match[1].replace(/,/g, "") + fraction.padEnd(rule.apiDecimals, "0"));
  return Number.isSafeInteger(minor) && minor > 0 ? minor : null;
}

/**
 * Which of Stripe's rules (workers/billing/currency.ts `amountProblem`, whose text is English)
 * refuses `amount` (minor units) in `currency`, as a code the page translates, with the bound in
 * the currency's major units: `amount_whole` (TWD, HUF, ISK, UGX take whole units),
 * `amount_ends_in_zero` (three-decimal currencies), `amount_below_min` (`minimum`, Stripe's
 * smallest charge), `amount_above_max` (`maximum`); else the route's own `amount_invalid`.
 */
export function amountRefusal(amount: number, currency: string): { code: string; minimum?: number; maximum?: number } {
  const rule = currencyRule(currency);
  if (!rule || !Number.isSafeInteger(amount) || amount <= 0) return { code: "amount_invalid" };
  if (amount % rule.step !== 0) return { code: rule.step === 100 ? "amount_whole" : "amount_ends_in_zero" };
  if (amount < rule.min) return { code: "amount_below_min", minimum: toMajorUnits(rule.min, currency) };
  if (amount > rule.max) return { code: "amount_above_max", maximum: toMajorUnits(rule.max, currency) };
  return { code: "amount_invalid" };
}

/**
 * Why the text an owner typed is not a price in `currency` (`toMinorUnits` gave null), as a code
 * the page translates: `amount_whole` for a currency shown in whole units (TWD, JPY, HUF …) typed
 * with a fraction ("4.99" in TWD: the problem is the cents, not the number); `invalid_amount_whole`
 * for other text in such a currency (its example is a whole amount); else `invalid_amount`.
 */
export function typedAmountRefusal(typed: string, currency: string): { code: string } {
  const rule = currencyRule(currency);
  if (!rule || rule.displayDecimals !== 0) return { code: "invalid_amount" };
  const match = TYPED_AMOUNT.exec(typedNumberText(typed));
  return { code: match?.[2] && Number(match[1].replace(/,/g, "")) + Number(`0.${match[2]}`) > 0 ? "amount_whole" : "invalid_amount_whole" };
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
