// API issues become field errors in the reader's language; a code the UI does not know still reads
// in the reader's language (a generic text), never the API's English.
import { describe, expect, it } from "vitest";
import { createI18n } from "../../app/i18n";
import { formErrorText, issueText } from "../../app/lib/issues";

const en = createI18n("en").t;
const zh = createI18n("zh-Hant").t;

describe("issueText", () => {
  it("translates a length bound with its number, in both languages", () => {
    const issue = { path: "name", code: "too_big", origin: "string", maximum: 80, message: "Too big: expected string to have <=80 characters" };
    expect(issueText(en, issue)).toBe("Use at most 80 characters.");
    expect(issueText(zh, issue)).toBe("最多 80 個字元。");
  });

  it("says a 409 with a known reason in its own words: a post locked while the comment was written", () => {
    const errors = { code: "conflict", form: "This post is locked: it takes no new comments.", reason: "post_locked" };
    expect(formErrorText(en, errors)).toBe("This post was locked: it takes no new comments.");
    expect(formErrorText(zh, errors)).toBe("這篇貼文已被鎖定，不再接受新留言。");
    expect(formErrorText(en, { code: "conflict", form: "x", reason: "unknown_reason" })).toBe("That conflicts with something that already exists.");
  });

  it("tells a reply whose comment was deleted meanwhile what happened, in both languages", () => {
    const issue = { path: "parentId", code: "parent_deleted", message: "The comment was deleted" };
    expect(issueText(en, issue)).toBe("The comment you are replying to was deleted. Your text is still here: post it as a new comment.");
    expect(issueText(zh, issue)).toBe("你要回覆的留言已被刪除。你寫的內容還在，可以改發為新留言。");
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

  it("falls back to a translated generic text for a code it does not know (or none), and passes text the UI wrote through", () => {
    expect(issueText(zh, { path: "x", code: "brand_new_rule", message: "Some new rule" })).toBe("這個值無法使用，請檢查後再試一次。");
    expect(issueText(en, { path: "x", message: "No code at all" })).toBe("This value can't be used. Check it and try again.");
    expect(issueText(zh, "A message the UI wrote")).toBe("A message the UI wrote");
  });

  it("translates Markdown nested past its bound with the bound, in both languages (ADR 012)", () => {
    const issue = { path: "body", code: "markdown_too_deep", maximum: 32, message: "Markdown may nest at most 32 levels (quotes, lists, emphasis, links, footnotes, tables)." };
    expect(issueText(en, issue)).toBe("Markdown can nest at most 32 levels (quotes, lists, emphasis, links, footnotes, tables).");
    expect(issueText(zh, issue)).toBe("Markdown 最多只能巢狀 32 層（引言、清單、強調、連結、註腳、表格）。");
  });
});

describe("formErrorText", () => {
  it("says a text past its size is too long, with its bound in characters, in both languages (413 too_large with maxChars)", () => {
    const errors = { code: "too_large", form: "A comment can be at most 10,000 characters.", maxChars: 10_000 };
    expect(formErrorText(en, errors)).toBe("That is too long: use at most 10,000 characters.");
    expect(formErrorText(zh, errors)).toBe("內容太長，最多 10,000 個字元。");
  });

  it("keeps the file text for a too_large without maxChars, and the translated generic error for an unknown code", () => {
    expect(formErrorText(zh, { code: "too_large", form: "File too large" })).toBe("檔案太大。");
    expect(formErrorText(zh, { code: "brand_new_code", form: "Some new error" })).toBe(zh("apiError.error"));
    expect(formErrorText(zh, { code: null, form: "A message the UI wrote" })).toBe("A message the UI wrote");
  });
});
