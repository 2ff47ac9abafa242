// The currency table (ADR 037 "Money"): amounts in minor units as Stripe counts them, Stripe's
// special cases, and display through Intl in the reader's locale.
import { describe, expect, it } from "vitest";
import { amountProblem, currencyRule, formatAmount, toMajorUnits } from "../../workers/billing/currency";
import { amountRefusal } from "../../app/lib/billing";

describe("currency table", () => {
  it("JPY is zero-decimal: 500 minor units are ¥500, at least Stripe's ¥50", () => {
    expect(toMajorUnits(500, "jpy")).toBe(500);
    expect(formatAmount(500, "JPY", "en")).toBe("¥500");
    expect(amountProblem(500, "jpy")).toBeNull();
    expect(amountProblem(49, "jpy")).toMatch(/smallest JPY charge/);
  });

  it("TWD is two-decimal in the API but whole dollars only: 30000 is NT$300, 30050 is refused", () => {
    expect(currencyRule("TWD")).toMatchObject({ apiDecimals: 2, displayDecimals: 0, step: 100 });
    expect(toMajorUnits(30_000, "twd")).toBe(300);
    expect(formatAmount(30_000, "twd", "zh-Hant")).toBe("$300");
    expect(formatAmount(30_000, "twd", "en")).toBe("NT$300");
    expect(amountProblem(30_000, "twd")).toBeNull();
    expect(amountProblem(30_050, "twd")).toBe("TWD prices must be whole TWD (a multiple of 100 minor units).");
  });

  it("says one largest amount that is itself a valid price: NT$999,999 for TWD (not 999,999.99 or NT$1,000,000), 99,999.990 KWD", () => {
    expect(amountProblem(99_999_900, "twd")).toBeNull();
    expect(amountProblem(100_000_000, "twd")).toBe("Stripe's largest TWD amount is NT$999,999.");
    expect(amountRefusal(100_000_000, "twd")).toEqual({ code: "amount_above_max", maximum: 999_999 });
    expect(amountProblem(99_999_990, "kwd")).toBeNull();
    expect(amountRefusal(100_000_000, "kwd")).toEqual({ code: "amount_above_max", maximum: 99_999.99 });
    // a two-decimal currency keeps Stripe's eight digits
    expect(amountRefusal(100_000_000, "usd")).toEqual({ code: "amount_above_max", maximum: 999_999.99 });
  });

  it("USD is two-decimal: 499 is $4.99, below 50 cents is refused, past 99,999,999 is refused", () => {
    expect(formatAmount(499, "usd", "en")).toBe("$4.99");
    expect(amountProblem(499, "usd")).toBeNull();
    expect(amountProblem(49, "usd")).toMatch(/smallest USD charge is \$0\.50/);
    expect(amountProblem(100_000_000, "usd")).toMatch(/largest USD amount/);
  });

  it("KRW is zero-decimal: 9900 is ₩9,900", () => {
    expect(toMajorUnits(9_900, "krw")).toBe(9_900);
    expect(formatAmount(9_900, "krw", "en")).toBe("₩9,900");
    expect(amountProblem(9_900, "krw")).toBeNull();
  });

  it("HUF is two-decimal in the API, whole forints only, at least Stripe's 175 Ft", () => {
    expect(toMajorUnits(250_000, "huf")).toBe(2_500);
    expect(formatAmount(250_000, "huf", "en")).toBe("HUF\u00a02,500");
    expect(amountProblem(250_050, "huf")).toMatch(/whole HUF/);
    expect(amountProblem(17_400, "huf")).toMatch(/smallest HUF charge/);
  });

  it("ISK is zero-decimal to people but two-decimal in the API: 150000 is ISK 1,500", () => {
    expect(currencyRule("isk")).toMatchObject({ apiDecimals: 2, displayDecimals: 0, step: 100 });
    expect(formatAmount(150_000, "isk", "en")).toBe("ISK\u00a01,500");
    expect(amountProblem(150_001, "isk")).toMatch(/whole ISK/);
  });

  it("refuses what is not a positive whole number or not a supported currency", () => {
    expect(amountProblem(0, "usd")).toMatch(/positive whole number/);
    expect(amountProblem(-100, "usd")).toMatch(/positive whole number/);
    expect(amountProblem(10.5, "usd")).toMatch(/positive whole number/);
    expect(amountProblem(1000, "xxx")).toBe("XXX is not a supported currency.");
    expect(amountProblem(1_005, "kwd")).toMatch(/end in 0/);
  });
});
