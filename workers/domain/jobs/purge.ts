// Rows that have served their purpose, deleted by the cron in bounded batches: each kind is read
// through its expiry index, at most PURGE_BATCH rows a statement and PURGE_ROUNDS statements a
// tick, so the purge spends at most PURGES.length × PURGE_ROUNDS of the 1,000 D1 queries a cron
// invocation may make (Cloudflare D1 limits), whatever the backlog. A backlog larger than a tick's
// share is taken over the next ticks (every 5 minutes: up to 2,000 rows of a kind each).
import { and, isNotNull, lt, or, sql, type SQL } from "drizzle-orm";
import type { SQLiteTable } from "drizzle-orm/sqlite-core";
import { getDb, schema } from "../../db/client";
import { IDEMPOTENCY_TTL_MS } from "../idempotency";

/** Rows one statement deletes at most: small enough to stay well inside a D1 statement's time. */
export const PURGE_BATCH = 500;
/** Statements per kind per tick. */
export const PURGE_ROUNDS = 4;

/**
 * Sent mail is kept 30 days: the account export's "mails" section lets a member see what was
 * mailed to them lately (a reset link they never asked for is a sign of an attack), and by then
 * every link in it has long expired (tokens last at most 24 h) and the mail sits in their own
 * inbox. Keeping all mail for ever would hoard personal data (GDPR Art. 5(1)(e), storage limitation).
 */
export const SENT_MAIL_RETENTION_MS = 30 * 86_400_000;

/** A kind of row to purge: its table and which of its rows are due, as an indexed condition. */
type Purge = { name: string; table: SQLiteTable; due: (now: number) => SQL | undefined };

const s = schema.sessions;
const t = schema.emailTokens;
const o = schema.outbox;
const rc = schema.rateCounters;
const k = schema.idempotencyKeys;

export const PURGES: Purge[] = [
  // a session past its expiry cannot sign anyone in again (auth/reader.ts checks expires_at)
  { name: "sessions", table: s, due: (now) => lt(s.expiresAt, new Date(now)) },
  // a used token can never be used again and an expired one never be used at all. used_at has no
  // index of its own; the table holds at most a day of tokens (TOKEN_LIFETIME_MS) once this runs
  { name: "emailTokens", table: t, due: (now) => or(lt(t.expiresAt, new Date(now)), isNotNull(t.usedAt)) },
  // unsent mail is still work (or the local outbox) and is never purged; sent_at is outbox_unsent_idx
  { name: "sentMail", table: o, due: (now) => and(isNotNull(o.sentAt), lt(o.sentAt, new Date(now - SENT_MAIL_RETENTION_MS))) },
  // a counter whose window ended would be reset by the next attempt anyway (rate-limits/)
  { name: "rateCounters", table: rc, due: (now) => lt(rc.windowEndsAt, new Date(now)) },
  // Idempotency-Keys are remembered 24 h (ADR 012); idempotency_keys_created_idx
  { name: "idempotencyKeys", table: k, due: (now) => lt(k.createdAt, new Date(now - IDEMPOTENCY_TTL_MS)) },
];

/**
 * One cron tick's purge: for each kind in PURGES, delete due rows PURGE_BATCH at a time until a
 * statement finds fewer or PURGE_ROUNDS statements ran. Returns rows deleted by kind name.
 */
export async function purgeExpired(env: Env, now = Date.now()): Promise<Record<string, number>> {
  const db = getDb(env);
  const deleted: Record<string, number> = {};
  for (const { name, table, due } of PURGES) {
    deleted[name] = 0;
    for (let round = 0; round < PURGE_ROUNDS; round++) {
      const { meta } = await db
        .delete(table)
        // by rowid: every table here has one, whatever its primary key
        .where(sql`rowid in (select rowid from ${table} where ${due(now)} limit ${PURGE_BATCH})`)
        .run();
      deleted[name] += meta.changes;
      if (meta.changes < PURGE_BATCH) break;
    }
  }
  return deleted;
}
