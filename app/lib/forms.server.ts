// Helpers every action shares: reading form fields, safe `next=` targets, and turning a use case's refusal
// into field errors (from `issues`) plus one message for the form.
import { data, redirect } from "react-router";
import type { CloudflareContext } from "../context";
import type { Outcome } from "./use-case.server";
import type { FieldIssue } from "./issues";
import { isOperator } from "../../workers/domain/communities/create-community";
import { isLocalRequest } from "../../workers/lib/local-request";

/** Field errors keep the API's issue (code and bounds) so the form shows it in the reader's language. */
export type FormErrors = { fields: Record<string, FieldIssue>; form: string | null; code: string | null; maxChars?: number; reason?: string };
export type ActionFailure = { ok: false; errors: FormErrors; values?: Record<string, string> };

/**
 * The text field `name` as sent ("" when absent), untrimmed. A file where text belongs (a
 * multipart form whose part carries a filename) is refused with a 400 `validation_failed` naming
 * the field, rather than read as "[object File]".
 */
export function textField(form: FormData, name: string): string {
  return asText(name, form.get(name) ?? "");
}

/** Every value of the repeated text field `name` (checkboxes, ordered lists), refused like textField. */
export function textFields(form: FormData, name: string): string[] {
  return form.getAll(name).map((value) => asText(name, value));
}

function asText(name: string, value: FormDataEntryValue): string {
  if (typeof value === "string") return value;
  const message = `\`${name}\` must be text, not a file.`;
  throw data({ ok: false, errors: { fields: { [name]: { message, path: name, code: "invalid_type" } }, form: message, code: "validation_failed" } } satisfies ActionFailure, { status: 400 });
}

/** textField, trimmed: the form fields whose edges carry no meaning (ids, intents, names). */
export function field(form: FormData, name: string): string {
  return textField(form, name).trim();
}

const SENTINEL = "http://enclave.invalid";

/**
 * A redirect target taken from the request (`next=`, `redirectTo`), made safe: the same path
 * within this app ("/c/x?tab=1#top"), or `fallback`. The check runs on the URL as a browser will
 * read it, after the WHATWG URL parser has collapsed dot segments ("/./", "/../", "%2e"), turned
 * backslashes into slashes and dropped tabs and newlines, so "/.//evil.example" (which normalises
 * to the protocol-relative "//evil.example") is refused, like "//evil", "/\\evil", "https://evil"
 * and "javascript:". The answer is itself normalised, so passing it through again changes nothing.
 */
export function safeNext(value: string | null | undefined, fallback = "/"): string {
  if (!value || typeof value !== "string" || !value.startsWith("/")) return fallback;
  // control characters and backslashes have no place in a link of ours; the parser would drop or rewrite them
  if (/[\u0000-\u001f\u007f\\]/.test(value)) return fallback;
  let url: URL;
  try {
    url = new URL(value, SENTINEL);
  } catch {
    return fallback;
  }
  if (url.origin !== SENTINEL) return fallback;
  const target = url.pathname + url.search + url.hash;
  // after normalisation the path must still be a path: "//host" or "/\\host" would leave the site
  if (!target.startsWith("/") || target.startsWith("//") || target.startsWith("/\\")) return fallback;
  if (new URL(target, SENTINEL).origin !== SENTINEL) return fallback;
  return target;
}

export function apiErrors(result: Outcome<unknown>): FormErrors {
  if (result.ok) return { fields: {}, form: null, code: null };
  const fields: Record<string, FieldIssue> = {};
  const issues = result.error.issues;
  if (Array.isArray(issues)) {
    for (const issue of issues) {
      if (issue && typeof issue === "object") {
        const { path, message, code, origin, minimum, maximum, format, currency } = issue as Record<string, unknown>;
        const key = Array.isArray(path) ? path.map(String).join(".") : String(path ?? "");
        if (!key || typeof message !== "string" || fields[key]) continue;
        fields[key] = {
          message,
          path: key,
          ...(typeof code === "string" ? { code } : {}),
          ...(typeof origin === "string" ? { origin } : {}),
          ...(typeof minimum === "number" ? { minimum } : {}),
          ...(typeof maximum === "number" ? { maximum } : {}),
          ...(typeof format === "string" ? { format } : {}),
          ...(typeof currency === "string" ? { currency } : {}),
        };
      }
    }
  }
  const hasFields = Object.keys(fields).length > 0;
  // a text past its size (413 too_large) names its bound, which the form shows in the reader's language
  const maxChars = typeof result.error.maxChars === "number" ? { maxChars: result.error.maxChars } : {};
  const reason = typeof result.error.reason === "string" ? { reason: result.error.reason } : {};
  return { fields, form: hasFields ? null : result.error.message, code: result.error.code, ...maxChars, ...reason };
}

export function fail(result: Outcome<unknown>, values?: Record<string, string>, status?: number) {
  return data({ ok: false, errors: apiErrors(result), values } satisfies ActionFailure, {
    status: status ?? (result.ok ? 400 : result.status),
  });
}

export function requireSignedIn(cf: CloudflareContext, request: Request) {
  if (cf.user) return cf.user;
  const url = new URL(request.url);
  throw redirect(`/login?next=${encodeURIComponent(url.pathname + url.search)}`);
}

/**
 * The dev mail outbox is there for this visitor: DEV_MODE is on and the request comes from this
 * machine (workers/lib/local-request.ts), as GET /api/v1/dev/outbox requires. Pages link the
 * outbox only then.
 */
export function isDevMode(cf: CloudflareContext, request: Request): boolean {
  return String(cf.env.DEV_MODE) === "true" && isLocalRequest(request);
}

/** The signed-in user is a platform operator (OPERATOR_EMAILS): the account menu links the platform pages. */
export function isPlatformOperator(cf: CloudflareContext): boolean {
  return cf.user ? isOperator(cf.env, cf.user.email) : false;
}

/**
 * A page action's answer to an `intent` it does not know (a crafted or stale form): the 400 page,
 * never a 200 that looks like success. Throws a react-router `data` response (status 400).
 */
export function unknownIntent(): never {
  throw data(null, { status: 400 });
}
