// Idempotency-Key for creates (API.md "Conventions", ADR 012): a client that retries a POST with
// the same key within 24 h gets the first answer again and nothing is created twice. D1 has no
// interactive transactions, so every step is one conditional statement: the claim is an INSERT
// that only one of two racing requests wins (primary key user_id + key), a takeover of an expired
// or abandoned claim is one UPDATE … WHERE, and the answer is stored by the request that claimed.
// A request can die between its write and storing the answer, so the answer alone cannot prove
// "not created yet": each claim carries a random claim_id that a takeover of an abandoned claim
// keeps, and the route derives the new row's id from it (createdId in api/idempotency.ts). The
// retry's insert then meets the dead request's row and answers it instead of writing a second one.
import { and, eq, isNull, lt, or, sql } from "drizzle-orm";
import { getDb, schema } from "../db/client";
import { randomToken } from "../lib/ids";

const k = schema.idempotencyKeys;

/** What a key may be: 1–255 printable ASCII characters (Stripe's bound; API.md "Conventions"). */
export const IDEMPOTENCY_KEY = /^[\x20-\x7e]{1,255}$/;

/** How long a key is remembered: 24 h (API.md; Stripe keeps keys as long). */
export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60_000;
/**
 * A claim without an answer this old belongs to a request that died between its write and
 * storing the answer: a retry of the same request may take it over, keeping the claim id, and so
 * finds the row the dead one wrote under the derived id. Were the first still running, both
 * would write under one id: one row either way.
 */
export const ABANDONED_CLAIM_MS = 60_000;

export type IdempotencyOutcome =
  /**
   * This request owns the key: run it, then complete() or release(). `claimId` seeds the id of
   * what it creates; `resumed` when it took over an abandoned claim, whose request may have
   * written its row already (the create then finds that row); `claimedAt` (epoch ms) tells this
   * claim from a later takeover of it.
   */
  | { kind: "claimed"; claimId: string; resumed: boolean; claimedAt: number }
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

/**
 * Claim `key` for `userId`, or say what an earlier request with it left. `now` in epoch ms.
 * An abandoned claim (no answer after ABANDONED_CLAIM_MS) is taken over only by the same request
 * (fingerprint), keeping its claim id; another request with that key answers "mismatch", as it
 * would had the first finished. A key older than IDEMPOTENCY_TTL_MS is claimed afresh, with a new
 * claim id, whatever it was used for.
 */
export async function claimIdempotencyKey(
  env: Env,
  userId: string,
  key: string,
  fingerprint: string,
  now = Date.now(),
): Promise<IdempotencyOutcome> {
  const db = getDb(env);
  const createdAt = new Date(now);
  const claimId = randomToken(16);
  const [inserted] = await db
    .insert(k)
    .values({ userId, key, fingerprint, claimId, createdAt })
    .onConflictDoNothing()
    .returning({ claimId: k.claimId });
  if (inserted) return { kind: "claimed", claimId, resumed: false, claimedAt: now };
  const expiredBefore = now - IDEMPOTENCY_TTL_MS;
  // SET reads the row as it was, so the CASE sees the old created_at: an expired key gets the new
  // claim id, an abandoned claim keeps its own
  const [taken] = await db
    .update(k)
    .set({
      fingerprint,
      claimId: sql`case when ${k.createdAt} < ${expiredBefore} then ${claimId} else ${k.claimId} end`,
      status: null,
      response: null,
      createdAt,
    })
    .where(
      and(
        eq(k.userId, userId),
        eq(k.key, key),
        or(
          lt(k.createdAt, new Date(expiredBefore)),
          and(isNull(k.status), eq(k.fingerprint, fingerprint), lt(k.createdAt, new Date(now - ABANDONED_CLAIM_MS))),
        ),
      ),
    )
    .returning({ claimId: k.claimId });
  if (taken) return { kind: "claimed", claimId: taken.claimId, resumed: taken.claimId !== claimId, claimedAt: now };
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

/**
 * Let a retry run after a request that answered an error. A fresh claim created nothing and is
 * deleted, so even a corrected request may use the key. A resumed claim may have a row behind it
 * (written by the request that died): it is kept with its claim id and fingerprint and dated as
 * abandoned, so the same request may take it over at once and find that row, never write another.
 * Only this request's own claim is touched: one that outlived ABANDONED_CLAIM_MS and was taken
 * over meanwhile leaves the taker's claim alone.
 */
export async function releaseIdempotencyKey(
  env: Env,
  userId: string,
  key: string,
  mine: { resumed: boolean; claimedAt: number },
  now = Date.now(),
): Promise<void> {
  const db = getDb(env);
  const claim = and(eq(k.userId, userId), eq(k.key, key), isNull(k.status), eq(k.createdAt, new Date(mine.claimedAt)));
  if (mine.resumed) await db.update(k).set({ createdAt: new Date(now - ABANDONED_CLAIM_MS - 1) }).where(claim);
  else await db.delete(k).where(claim);
}

/** What an earlier request with the key left instead of this one running: see IdempotencyOutcome. */
export type IdempotencyRefusal = Exclude<IdempotencyOutcome, { kind: "claimed" }>;

/**
 * Runs `work` once per `key` of `userId` (ADR 012): claims the key, runs `work(claimId)` (it names
 * what it creates with `derivedId(prefix, claimId)`), then stores the answer `answer(result)`
 * gives (a 2xx status and its body, remembered 24 h) or, when that is null (a refusal), frees the
 * key for a corrected retry; a thrown error frees it too and is rethrown. Returns `{ kind: "ran",
 * result }`, or what an earlier request with the key left ("replay" with its stored answer,
 * "in_flight", "mismatch") without running `work`. The API's `idempotent` middleware and the
 * page forms (app/lib/idempotency.server.ts) both go through here. A failure to store or free
 * the key is logged, never thrown: the row is written by then (the claim counts as abandoned
 * after ABANDONED_CLAIM_MS and a retry finds the row by its derived id).
 */
export async function runIdempotent<T>(
  env: Env,
  userId: string,
  key: string,
  fingerprint: string,
  work: (claimId: string) => Promise<T>,
  answer: (result: T) => Promise<{ status: number; body: string } | null>,
): Promise<{ kind: "ran"; result: T } | IdempotencyRefusal> {
  const outcome = await claimIdempotencyKey(env, userId, key, fingerprint);
  if (outcome.kind !== "claimed") return outcome;
  const release = () => releaseIdempotencyKey(env, userId, key, outcome);
  let result: T;
  try {
    result = await work(outcome.claimId);
  } catch (error) {
    await settle(release);
    throw error;
  }
  await settle(async () => {
    const stored = await answer(result);
    if (stored) await completeIdempotencyKey(env, userId, key, stored.status, stored.body);
    else await release();
  });
  return { kind: "ran", result };
}

async function settle(work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (error) {
    console.error(JSON.stringify({ at: "idempotency", error: String(error) }));
  }
}
