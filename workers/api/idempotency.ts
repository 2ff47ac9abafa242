// The Idempotency-Key header on creating routes (posts, comments; chat messages later): put
// `middleware: [idempotent]` and `request: { headers: IdempotencyHeader }` on the route. See
// domain/idempotency.ts and ADR 012 for the statuses: a replay answers the first status and body
// with `Idempotent-Replayed: true`; 409 idempotency_key_in_use while the first is still running;
// 422 idempotency_key_reused for the same key with another request (draft-ietf-httpapi-idempotency-key-header).
// The route names what it creates with `createdId(c, prefix)`, so a retry that takes over the claim
// of a request that died after its write finds that row instead of creating a second.
import { z } from "@hono/zod-openapi";
import { createMiddleware } from "hono/factory";
import { IDEMPOTENCY_KEY, requestFingerprint, runIdempotent } from "../domain/idempotency";
import { badRequest, DomainError } from "../lib/errors";
import { derivedId } from "../lib/ids";
import { currentUser, type AppContext, type AppEnv } from "./factory";

const HEADER = "Idempotency-Key";
const KEY = IDEMPOTENCY_KEY;

/** The header as the OpenAPI document shows it (the middleware checks it, answering 400). */
export const IdempotencyHeader = z.object({
  "idempotency-key": z
    .string()
    .regex(KEY)
    .optional()
    .openapi({
      // header names are case-insensitive; the validator sees them lower-cased
      param: { name: "idempotency-key", in: "header" },
      description:
        "1–255 printable ASCII characters, remembered 24 h per caller. A retry with the same key and body answers the " +
        "first result (header Idempotent-Replayed: true) and creates nothing; 409 idempotency_key_in_use while the first " +
        "request runs; 422 idempotency_key_reused when the body or route differs.",
    }),
});

// the claim of this request's key, kept beside the context rather than in AppEnv's variables: only
// createdId reads it
const claims = new WeakMap<AppContext, string>();

/**
 * The id for the row this request creates: derived from its Idempotency-Key claim when it sent
 * one (`prefix_` + 26 base32 characters, the same on every takeover of the claim; lib/ids.ts
 * derivedId), else undefined and the domain draws a random one. Pass it to the create's `id`.
 */
export async function createdId(c: AppContext, prefix: string): Promise<string | undefined> {
  const claimId = claims.get(c);
  return claimId === undefined ? undefined : derivedId(prefix, claimId);
}

export const idempotent = createMiddleware<AppEnv>(async (c, next) => {
  const key = c.req.header(HEADER);
  if (key === undefined) return next();
  if (!KEY.test(key)) {
    throw badRequest("The Idempotency-Key header must be 1–255 printable ASCII characters.", {
      issues: [{ path: HEADER, message: "1–255 printable ASCII characters", code: "invalid_format", minimum: 1, maximum: 255 }],
    });
  }
  // without a session the route answers 401 itself; there is nobody to remember the key for
  const user = await currentUser(c);
  if (!user) return next();
  const fingerprint = await requestFingerprint(c.req.method, c.req.path, await c.req.raw.clone().text());
  const outcome = await runIdempotent(
    c.env,
    user.id,
    key,
    fingerprint,
    async (claimId) => {
      claims.set(c, claimId);
      await next();
    },
    // only a success is remembered; an error answer frees the key for a corrected retry
    async () => (c.res.status >= 200 && c.res.status < 300 ? { status: c.res.status, body: await c.res.clone().text() } : null),
  );
  if (outcome.kind === "ran") return;
  if (outcome.kind === "replay") {
    return c.body(outcome.body, outcome.status as 201, { "Content-Type": "application/json", "Idempotent-Replayed": "true" });
  }
  if (outcome.kind === "in_flight") {
    throw new DomainError(409, "idempotency_key_in_use", "A request with this Idempotency-Key is still being processed; retry shortly.", {}, { "Retry-After": "1" });
  }
  throw new DomainError(422, "idempotency_key_reused", "This Idempotency-Key was used for a different request.");
});
