// API issues become field errors in the reader's language; a code the UI does not know shows the
// API's English message rather than nothing.
import { describe, expect, it } from "vitest";
import { createI18n } from "../../app/i18n";
import { issueText } from "../../app/lib/issues";

const en = createI18n("en").t;
const zh = createI18n("zh-Hant").t;

describe("issueText", () => {
  it("translates a length bound with its number, in both languages", () => {
    const issue = { path: "name", code: "too_big", origin: "string", maximum: 80, message: "Too big: expected string to have <=80 characters" };
    expect(issueText(en, issue)).toBe("Use at most 80 characters.");
    expect(issueText(zh, issue)).toBe("最多 80 個字元。");
  });

  it("says a one-character minimum means the field is required", () => {
    const issue = { path: "title", code: "too_small", origin: "string", minimum: 1, message: "Too small" };
    expect(issueText(en, issue)).toBe("This can't be empty.");
    expect(issueText(zh, issue)).toBe("此欄位不能留空。");
  });

  it("uses the format, our own reasons, and field-specific texts for rows of a list", () => {
    expect(issueText(zh, { path: "email", code: "invalid_format", format: "email", message: "Invalid email" })).toBe("請輸入有效的電子郵件地址。");
    expect(issueText(zh, { path: "slug", code: "slug_reserved", message: "This slug is reserved." })).toBe("這個網址已保留，請換一個。");
    expect(issueText(en, { path: "prices.1.currency", code: "invalid_format", format: "regex", message: "An ISO 4217 code" })).toBe(
      "Use a three-letter currency code, such as USD or TWD.",
    );
  });

  it("falls back to the API's message for a code it does not know, and passes plain text through", () => {
    expect(issueText(zh, { path: "x", code: "brand_new_rule", message: "Some new rule" })).toBe("Some new rule");
    expect(issueText(zh, { path: "x", message: "No code at all" })).toBe("No code at all");
    expect(issueText(zh, "A message the UI wrote")).toBe("A message the UI wrote");
  });
});
