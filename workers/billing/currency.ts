// Money as Stripe counts it (ADR 037 "Money"). Every amount Enclave stores or sends is an integer
// in the currency's minor units *as the Stripe API counts them*, which is not always what people
// count: Stripe's special cases (https://docs.stripe.com/currencies#special-cases) are in the table.

/**
 * One currency's rules.
 * - `apiDecimals`: the decimals Stripe's API counts amounts in (JPY 0: ¥500 is 500; USD 2: $5 is 500;
 *   KWD 3: 5 KWD is 5000).
 * - `displayDecimals`: the fraction digits shown to people (ISK and UGX are zero-decimal to people
 *   but two-decimal in the API; TWD and HUF are shown in whole units because that is all they may be).
 * - `step`: the amount must be a multiple of this, in API minor units: 100 where Stripe needs whole
 *   units (ISK, UGX; TWD and HUF, whose payouts need amounts divisible by 100), 10 for the
 *   three-decimal currencies (the last digit must be 0), else 1.
 * - `min`: Stripe's minimum charge amount in API minor units, where Stripe lists one
 *   (https://docs.stripe.com/currencies#minimum-and-maximum-charge-amounts); else one `step`.
 * - `max`: the largest amount Stripe takes: eight digits (99,999,999) for most currencies, twelve for IDR,
 *   down to a multiple of `step` (TWD 99,999,900).
 */
export type CurrencyRule = {
  code: string;
  apiDecimals: 0 | 2 | 3;
  displayDecimals: 0 | 2 | 3;
  step: 1 | 10 | 100;
  min: number;
  max: number;
};

const EIGHT_DIGITS = 99_999_999;

type Row = [code: string, apiDecimals: 0 | 2 | 3, displayDecimals: 0 | 2 | 3, step: 1 | 10 | 100, min?: number, max?: number];

// Stripe's zero-decimal list, its three-decimal list, its special cases, and the common two-decimal
// currencies with their listed minimums. A currency missing here is refused, not guessed.
const ROWS: Row[] = [
  // zero-decimal in the API and to people
  ["bif", 0, 0, 1], ["clp", 0, 0, 1], ["djf", 0, 0, 1], ["gnf", 0, 0, 1], ["jpy", 0, 0, 1, 50], ["kmf", 0, 0, 1],
  ["krw", 0, 0, 1], ["mga", 0, 0, 1], ["pyg", 0, 0, 1], ["rwf", 0, 0, 1], ["vnd", 0, 0, 1], ["vuv", 0, 0, 1],
  ["xaf", 0, 0, 1], ["xof", 0, 0, 1], ["xpf", 0, 0, 1],
  // special cases: zero-decimal to people, two-decimal in the API, whole units only
  ["isk", 2, 0, 100], ["ugx", 2, 0, 100],
  // special cases: two-decimal in the API, whole units only (payouts need amounts divisible by 100)
  ["twd", 2, 0, 100], ["huf", 2, 0, 100, 17_500],
  // three-decimal: the last digit must be 0
  ["bhd", 3, 3, 10], ["jod", 3, 3, 10], ["kwd", 3, 3, 10], ["omr", 3, 3, 10], ["tnd", 3, 3, 10],
  // two-decimal, with Stripe's listed minimum charge where there is one
  ["usd", 2, 2, 1, 50], ["eur", 2, 2, 1, 50], ["gbp", 2, 2, 1, 30], ["aud", 2, 2, 1, 50], ["cad", 2, 2, 1, 50],
  ["chf", 2, 2, 1, 50], ["nzd", 2, 2, 1, 50], ["sgd", 2, 2, 1, 50], ["hkd", 2, 2, 1, 400], ["dkk", 2, 2, 1, 250],
  ["nok", 2, 2, 1, 300], ["sek", 2, 2, 1, 300], ["pln", 2, 2, 1, 200], ["czk", 2, 2, 1, 1_500], ["ron", 2, 2, 1, 200],
  ["bgn", 2, 2, 1, 100], ["mxn", 2, 2, 1, 1_000], ["brl", 2, 2, 1, 50], ["inr", 2, 2, 1, 50], ["myr", 2, 2, 1, 200],
  ["thb", 2, 2, 1, 1_000], ["aed", 2, 2, 1, 200], ["cny", 2, 2, 1], ["php", 2, 2, 1], ["zar", 2, 2, 1], ["ils", 2, 2, 1],
  ["try", 2, 2, 1], ["sar", 2, 2, 1], ["mop", 2, 2, 1],
  ["idr", 2, 2, 1, undefined, 999_999_999_999],
];

const TABLE: ReadonlyMap<string, CurrencyRule> = new Map(
  // the maximum is the largest multiple of the step within Stripe's digits (TWD: 99,999,900, i.e.
  // NT$999,999 — 99,999,999 would read "NT$1,000,000" in whole units and is not a whole amount)
  ROWS.map(([code, apiDecimals, displayDecimals, step, min, max]) => [code, { code, apiDecimals, displayDecimals, step, min: min ?? step, max: Math.floor((max ?? EIGHT_DIGITS) / step) * step }]),
);

/** The lowercase ISO 4217 codes Enclave takes prices in. */
export const SUPPORTED_CURRENCIES: readonly string[] = [...TABLE.keys()];

/** The rule for `code` (any case), or null when Enclave does not take it. */
export function currencyRule(code: string): CurrencyRule | null {
  return TABLE.get(code.toLowerCase()) ?? null;
}

/**
 * Why `amount` (API minor units) cannot be a price in `currency`, or null when it can: a positive
 * integer, at least Stripe's minimum, at most its maximum, a multiple of the currency's step.
 * The message is for the owner and speaks in the currency's display units.
 */
export function amountProblem(amount: number, currency: string): string | null {
  const rule = currencyRule(currency);
  if (!rule) return `${currency.toUpperCase()} is not a supported currency.`;
  if (!Number.isSafeInteger(amount) || amount <= 0) return "Enter a positive whole number of minor units.";
  const code = rule.code.toUpperCase();
  if (amount % rule.step !== 0) {
    return rule.step === 100
      ? `${code} prices must be whole ${code} (a multiple of 100 minor units).`
      : `${code} prices must end in 0 (a multiple of 10 minor units).`;
  }
  if (amount < rule.min) return `Stripe's smallest ${code} charge is ${formatAmount(rule.min, rule.code, "en")}.`;
  if (amount > rule.max) return `Stripe's largest ${code} amount is ${formatAmount(rule.max, rule.code, "en")}.`;
  return null;
}

/** `amount` (API minor units) in the currency's major units: 30000 TWD → 300, 500 JPY → 500, 5000 KWD → 5. */
export function toMajorUnits(amount: number, currency: string): number {
  const rule = currencyRule(currency);
  if (!rule) throw new RangeError(`unsupported currency ${currency}`);
  return amount / 10 ** rule.apiDecimals;
}

/**
 * `amount` (API minor units) for people in `locale`, through Intl with the table's fraction digits:
 * (30000, "twd", "zh-Hant") → "$300" in zh-Hant's TWD style, (500, "jpy", "en") → "¥500".
 * @throws RangeError for a currency missing from the table
 */
export function formatAmount(amount: number, currency: string, locale: string): string {
  const rule = currencyRule(currency);
  if (!rule) throw new RangeError(`unsupported currency ${currency}`);
  return new Intl.NumberFormat(locale, {
    style: "currency",
    currency: rule.code.toUpperCase(),
    minimumFractionDigits: rule.displayDecimals,
    maximumFractionDigits: rule.displayDecimals,
  }).format(toMajorUnits(amount, currency));
}
