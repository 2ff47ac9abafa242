// Idempotency-Key for creates (API.md "Conventions", ADR 012): a client that retries a POST with
// the same key within 24 h gets the first answer again and nothing is created twice. D1 has no
// interactive transactions, so every step is one conditional statement: the claim is an INSERT
// that only one of two racing requests wins (primary key user_id + key), a takeover of an expired
// or abandoned claim is one UPDATE … WHERE, and the answer is stored by the request that claimed.
import { and, eq, isNull, lt, or } from "drizzle-orm";
import { getDb, schema } from "../db/client";

const k = schema.idempotencyKeys;

/** How long a key is remembered: 24 h (API.md; Stripe keeps keys as long). */
export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60_000;
/**
 * A claim without an answer this old belongs to a request that died between its write and
 * storing the answer (a Worker's request cannot run this long): another request may take it over.
 */
export const ABANDONED_CLAIM_MS = 60_000;

export type IdempotencyOutcome =
  /** this request owns the key: run it, then complete() or release() */
  | { kind: "claimed" }
  /** an earlier request with the same key and the same payload finished: answer its result */
  | { kind: "replay"; status: number; body: string }
  /** an earlier request with the same key is still running */
  | { kind: "in_flight" }
  /** the key was used for a different request (method, path or body) */
  | { kind: "mismatch" };

/** SHA-256 (hex) of what makes two requests "the same": method, path and the raw body. */
export async function requestFingerprint(method: string, path: string, body: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(`${method} ${path}\n${body}`));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** Claim `key` for `userId`, or say what an earlier request with it left. `now` in epoch ms. */
export async function claimIdempotencyKey(
  env: Env,
  userId: string,
  key: string,
  fingerprint: string,
  now = Date.now(),
): Promise<IdempotencyOutcome> {
  const db = getDb(env);
  const createdAt = new Date(now);
  const [inserted] = await db.insert(k).values({ userId, key, fingerprint, createdAt }).onConflictDoNothing().returning({ key: k.key });
  if (inserted) return { kind: "claimed" };
  const [taken] = await db
    .update(k)
    .set({ fingerprint, status: null, response: null, createdAt })
    .where(
      and(
        eq(k.userId, userId),
        eq(k.key, key),
        or(lt(k.createdAt, new Date(now - IDEMPOTENCY_TTL_MS)), and(isNull(k.status), lt(k.createdAt, new Date(now - ABANDONED_CLAIM_MS)))),
      ),
    )
    .returning({ key: k.key });
  if (taken) return { kind: "claimed" };
  const [row] = await db.select().from(k).where(and(eq(k.userId, userId), eq(k.key, key))).limit(1);
  // released between our two statements: the key is free again, and the client may simply retry
  if (!row) return { kind: "in_flight" };
  if (row.fingerprint !== fingerprint) return { kind: "mismatch" };
  if (row.status === null || row.response === null) return { kind: "in_flight" };
  return { kind: "replay", status: row.status, body: row.response };
}

/** Store the answer of the request that claimed the key (a success: 2xx status, JSON body). */
export async function completeIdempotencyKey(env: Env, userId: string, key: string, status: number, body: string): Promise<void> {
  await getDb(env)
    .update(k)
    .set({ status, response: body })
    .where(and(eq(k.userId, userId), eq(k.key, key)));
}

/** Free the key after a request that created nothing (an error answer), so a retry runs again. */
export async function releaseIdempotencyKey(env: Env, userId: string, key: string): Promise<void> {
  await getDb(env)
    .delete(k)
    .where(and(eq(k.userId, userId), eq(k.key, key), isNull(k.status)));
}

/** Forget keys older than IDEMPOTENCY_TTL_MS (the cron); returns how many went. */
export async function purgeIdempotencyKeys(env: Env, now = Date.now()): Promise<number> {
  const gone = await getDb(env)
    .delete(k)
    .where(lt(k.createdAt, new Date(now - IDEMPOTENCY_TTL_MS)))
    .returning({ key: k.key });
  return gone.length;
}
