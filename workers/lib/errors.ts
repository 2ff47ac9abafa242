// The one error envelope of shared/API.md: { error: { code, message, ...extra } }.
import type { ContentfulStatusCode } from "hono/utils/http-status";

export class DomainError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    readonly extra: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export const badRequest = (message: string, extra?: Record<string, unknown>) =>
  new DomainError(400, "validation_failed", message, extra);
export const unauthenticated = (message = "Sign in to continue.") =>
  new DomainError(401, "unauthenticated", message);
export const forbidden = (message = "You are not allowed to do that.") =>
  new DomainError(403, "forbidden", message);
export const tierRequired = (requiredTier: string) =>
  new DomainError(403, "tier_required", `This needs the ${requiredTier} tier.`, { requiredTier });
export const notFound = (message = "Not found.") => new DomainError(404, "not_found", message);
export const conflict = (message: string, extra?: Record<string, unknown>) =>
  new DomainError(409, "conflict", message, extra);
/**
 * 429 `rate_limited` with `retryAfter` (seconds) in the body and as the Retry-After header
 * (RFC 9110 §10.2.3, delay-seconds). `extra` adds what the client may show, e.g. a daily
 * budget's `reason` and `limit`.
 */
export const rateLimited = (retryAfterSeconds: number, message = "Too many attempts. Try again shortly.", extra: Record<string, unknown> = {}) =>
  new DomainError(
    429,
    "rate_limited",
    message,
    { retryAfter: retryAfterSeconds, ...extra },
    { "Retry-After": String(retryAfterSeconds) },
  );

export function errorBody(code: string, message: string, extra: Record<string, unknown> = {}) {
  return { error: { code, message, ...extra } };
}
