// Field errors from the API's 400 `issues` (workers/lib/validation.ts ApiIssue), in the reader's
// language: the API's `message` is English; its `code` (with the bounds it names) is what the UI
// translates. A code this UI does not know yet shows the API's message.
import type { TFunction } from "i18next";

export type FieldIssue = {
  message: string;
  code?: string;
  path?: string;
  origin?: string;
  minimum?: number;
  maximum?: number;
  format?: string;
};

/** "prices.0.currency" → "prices.currency": one text serves every row of a list. */
const fieldKey = (path: string) =>
  path
    .split(".")
    .filter((part) => !/^\d+$/.test(part))
    .join(".");

export function issueText(t: TFunction, issue: string | FieldIssue): string {
  if (typeof issue === "string") return issue;
  const { code, origin, format, path, message } = issue;
  if (!code) return message;
  const keys: string[] = [];
  if (path) keys.push(`validation.fields.${fieldKey(path)}.${code}`);
  if (code === "too_small" && origin === "string" && issue.minimum === 1) keys.push("validation.required");
  if (origin) keys.push(`validation.${code}_${origin}`);
  if (format) keys.push(`validation.${code}_${format}`);
  keys.push(`validation.${code}`);
  return t(keys, { minimum: issue.minimum, maximum: issue.maximum, defaultValue: message });
}

/**
 * The form-level text of an API error without field issues, in the reader's language: `apiError.<code>`,
 * and for a text past its size (413 `too_large` with `maxChars`, ADR 012) the bound in characters.
 * Falls back to the API's English `form` message for a code the UI does not know.
 */
export function formErrorText(t: TFunction, errors: { code: string | null; form: string | null; maxChars?: number; reason?: string }): string | null {
  if (!errors.code) return errors.form;
  const defaultValue = errors.form ?? t("apiError.error");
  if (errors.code === "too_large" && typeof errors.maxChars === "number") return t("apiError.too_large_text", { maxChars: errors.maxChars, defaultValue });
  // a reason the API gives beside its code (409 conflict: post_locked) has its own words when known
  return t([...(errors.reason ? [`apiError.${errors.code}_${errors.reason}`] : []), `apiError.${errors.code}`], { defaultValue });
}
