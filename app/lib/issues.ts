// Field errors from the API's 400 `issues` (workers/lib/validation.ts ApiIssue), in the reader's
// language: the API's `message` is English; its `code` (with the bounds it names) is what the UI
// translates. A code this UI does not know yet still reads in the reader's language (a generic
// "this value cannot be used"), never the API's English.
import type { TFunction } from "i18next";

export type FieldIssue = {
  message: string;
  code?: string;
  path?: string;
  origin?: string;
  minimum?: number;
  maximum?: number;
  format?: string;
  /** the lowercase ISO 4217 currency an amount issue is about (billing settings), said in the text */
  currency?: string;
};

/** "prices.0.currency" → "prices.currency": one text serves every row of a list. */
export const fieldKey = (path: string) =>
  path
    .split(".")
    .filter((part) => !/^\d+$/.test(part))
    .join(".");

/**
 * One field issue in the reader's language, most specific key first: `validation.fields.<field>.<code>`,
 * "required" for an empty text, `validation.<code>_<origin>`, `validation.<code>_<format>`,
 * `validation.<code>`, and for a code this UI does not know `validation.invalid`. A string is a
 * text the UI already wrote in the reader's language and is shown as it is.
 */
export function issueText(t: TFunction, issue: string | FieldIssue): string {
  if (typeof issue === "string") return issue;
  const { code, origin, format, path } = issue;
  if (!code) return t("validation.invalid");
  const keys: string[] = [];
  if (path) keys.push(`validation.fields.${fieldKey(path)}.${code}`);
  if (code === "too_small" && origin === "string" && issue.minimum === 1) keys.push("validation.required");
  if (origin) keys.push(`validation.${code}_${origin}`);
  if (format) keys.push(`validation.${code}_${format}`);
  keys.push(`validation.${code}`);
  keys.push("validation.invalid");
  return t(keys, { minimum: issue.minimum, maximum: issue.maximum, currency: issue.currency?.toUpperCase() });
}

/**
 * The name of the field an issue is about, for a list of a form's issues: `<labels>.<field>` (the
 * form's own labels, e.g. "billingSettings.fieldNames"), else the translated "A field" — never the
 * API's path.
 */
export function issueLabel(t: TFunction, labels: string, path: string): string {
  return t([`${labels}.${fieldKey(path)}`, "validation.someField"]);
}

/**
 * The form-level text of an API error without field issues, in the reader's language: `apiError.<code>`,
 * and for a text past its size (413 `too_large` with `maxChars`, ADR 012) the bound in characters.
 * Falls back to the translated generic error for a code the UI does not know.
 */
export function formErrorText(t: TFunction, errors: { code: string | null; form: string | null; maxChars?: number; reason?: string }): string | null {
  if (!errors.code) return errors.form;
  // a code this UI does not know reads as the generic error in the reader's language, not the API's English
  const defaultValue = t("apiError.error");
  if (errors.code === "too_large" && typeof errors.maxChars === "number") return t("apiError.too_large_text", { maxChars: errors.maxChars, defaultValue });
  // a reason the API gives beside its code (409 conflict: post_locked) has its own words when known
  return t([...(errors.reason ? [`apiError.${errors.code}_${errors.reason}`] : []), `apiError.${errors.code}`], { defaultValue });
}
