// Running domain events (ADR 014). The events queue delivers an event id; processEvent claims the
// row (a lease, so the queue, a redelivery and the sweep never run one event at once), runs the
// handlers of its kind that have not finished yet, and records the outcome: done, a retry after an
// exponential backoff, or dead after MAX_EVENT_ATTEMPTS. Handlers are idempotent (upserts, unique
// keys, derived ids), so a handler that ran but whose success was not recorded (the isolate died)
// runs again harmlessly.
//
// The cron's sweepEvents re-sends what a lost queue message left behind and purges done events
// after EVENT_RETENTION_MS. Tests drain with runDueEvents instead of sleeping.
import { and, asc, eq, isNull, lt, lte, or, sql } from "drizzle-orm";
import { getDb, schema } from "../../db/client";
import { handlersFor } from "./handlers";
import { announceEvents } from "./emit";
import { eventPayloads, isEventKind, type DomainEvent, type EventKind, type EventSubject } from "./kinds";

/** A failing event is tried this many times in all, then dead-lettered. */
export const MAX_EVENT_ATTEMPTS = 5;
/** How long a claim holds: longer than the slowest event's work (a page of followers, ~2 s). */
export const EVENT_LEASE_MS = 60_000;
/** Wait after the first failure; doubles after each (10 s, 20 s, 40 s, 80 s). */
export const EVENT_BACKOFF_BASE_MS = 10_000;
/** A due event nobody claimed for this long lost its queue message: the sweep re-sends it. */
export const SWEEP_AFTER_MS = 60_000;
/** Done events are kept this long (to answer "did it run?"), then purged. */
export const EVENT_RETENTION_MS = 7 * 24 * 60 * 60_000;
/** Rows one sweep re-sends or purges, within a cron invocation's 1,000 D1 queries. */
const SWEEP_LIMIT = 100;
const PURGE_LIMIT = 500;

const e = schema.domainEvents;
type EventRow = typeof e.$inferSelect;

/** Milliseconds to wait before attempt `attempts + 1`, after `attempts` failed ones (≥ 1). */
export const backoffMs = (attempts: number) => EVENT_BACKOFF_BASE_MS * 2 ** Math.max(0, attempts - 1);

export type EventOutcome =
  | { outcome: "done" }
  | { outcome: "retry"; retryInMs: number; error: string }
  | { outcome: "dead"; error: string }
  /** not run: no such row (a conditional insert that wrote nothing), finished, dead, claimed elsewhere, or not due */
  | { outcome: "skipped"; dueInMs?: number };

function toEvent(row: EventRow): DomainEvent {
  if (!isEventKind(row.kind)) throw new Error(`unknown event kind ${row.kind}`);
  const payload = eventPayloads[row.kind].parse(row.payload);
  return {
    id: row.id,
    kind: row.kind,
    communityId: row.communityId,
    subject: { type: row.subjectType as EventSubject["type"], id: row.subjectId },
    payload,
    createdAt: row.createdAt,
  } as DomainEvent;
}

/** Claims the event if it is pending, due and not held by another consumer; one statement. */
async function claim(env: Env, id: string, now: number): Promise<EventRow | undefined> {
  const [row] = await getDb(env)
    .update(e)
    .set({ claimedUntil: new Date(now + EVENT_LEASE_MS), attempts: sql`${e.attempts} + 1` })
    .where(
      and(
        eq(e.id, id),
        eq(e.status, "pending"),
        lte(e.nextAttemptAt, new Date(now)),
        or(isNull(e.claimedUntil), lt(e.claimedUntil, new Date(now))),
      ),
    )
    .returning();
  return row;
}

/**
 * Run one event's remaining handlers. `now` (epoch ms) is the clock used for due times and
 * leases; tests pass a later one to skip a backoff. Throws only when D1 itself fails (the claim
 * or the outcome could not be written): the caller lets the queue deliver the message again.
 */
export async function processEvent(env: Env, id: string, now = Date.now()): Promise<EventOutcome> {
  const row = await claim(env, id, now);
  if (!row) {
    const [current] = await getDb(env).select({ status: e.status, nextAttemptAt: e.nextAttemptAt }).from(e).where(eq(e.id, id)).limit(1);
    const dueInMs = current?.status === "pending" ? current.nextAttemptAt.getTime() - now : 0;
    return dueInMs > 0 ? { outcome: "skipped", dueInMs } : { outcome: "skipped" };
  }
  const handled = new Set(row.handled);
  const errors: string[] = [];
  let event: DomainEvent | null = null;
  try {
    event = toEvent(row);
  } catch (error) {
    errors.push(`payload: ${String(error)}`);
  }
  if (event) {
    for (const handler of handlersFor(event.kind)) {
      if (handled.has(handler.name)) continue;
      try {
        await handler.run(env, event as never);
        handled.add(handler.name);
      } catch (error) {
        errors.push(`${handler.name}: ${error instanceof Error ? error.message : String(error)}`);
        console.error(JSON.stringify({ at: "events.handler", event: row.id, kind: row.kind, handler: handler.name, error: String(error) }));
      }
    }
  }
  const db = getDb(env);
  const mine = and(eq(e.id, id), eq(e.attempts, row.attempts));
  if (errors.length === 0) {
    await db
      .update(e)
      .set({ status: "done", handled: [...handled], processedAt: new Date(now), claimedUntil: null, lastError: null })
      .where(mine);
    return { outcome: "done" };
  }
  const error = errors.join("; ").slice(0, 2_000);
  if (row.attempts >= MAX_EVENT_ATTEMPTS) {
    await db.update(e).set({ status: "dead", handled: [...handled], claimedUntil: null, lastError: error }).where(mine);
    return { outcome: "dead", error };
  }
  const retryInMs = backoffMs(row.attempts);
  await db
    .update(e)
    .set({ handled: [...handled], claimedUntil: null, lastError: error, nextAttemptAt: new Date(now + retryInMs) })
    .where(mine);
  return { outcome: "retry", retryInMs, error };
}

const eventMessage = (body: unknown): string | null => {
  const id = (body as { eventId?: unknown } | null)?.eventId;
  return typeof id === "string" && id.length > 0 && id.length <= 100 ? id : null;
};

/**
 * The events queue's consumer. One message at a time (each may use ~150 of the invocation's
 * 1,000 D1 queries). A failed event comes back through `retry` with its backoff as the delay;
 * a message is acked only once its event is done, dead, or not this consumer's to run.
 */
export async function runEventBatch(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  for (const message of batch.messages) {
    const id = eventMessage(message.body);
    if (!id) {
      console.error(JSON.stringify({ at: "events.queue", error: "unreadable message", id: message.id }));
      message.ack();
      continue;
    }
    try {
      const result = await processEvent(env, id);
      if (result.outcome === "retry") message.retry({ delaySeconds: Math.ceil(result.retryInMs / 1000) });
      else if (result.outcome === "skipped" && result.dueInMs) message.retry({ delaySeconds: Math.ceil(result.dueInMs / 1000) });
      else message.ack();
    } catch (error) {
      console.error(JSON.stringify({ at: "events.queue", event: id, error: String(error) }));
      message.retry({ delaySeconds: Math.ceil(EVENT_BACKOFF_BASE_MS / 1000) });
    }
  }
}

/**
 * The cron's part (every tick): re-send due events that no consumer has claimed for
 * SWEEP_AFTER_MS (their message was lost, or its retries ran out), and purge done events older
 * than EVENT_RETENTION_MS. Returns the ids it re-sent and how many it purged.
 */
export async function sweepEvents(env: Env, now = Date.now()): Promise<{ resent: string[]; purged: number }> {
  const db = getDb(env);
  const lost = await db
    .select({ id: e.id })
    .from(e)
    .where(
      and(
        eq(e.status, "pending"),
        lte(e.nextAttemptAt, new Date(now - SWEEP_AFTER_MS)),
        or(isNull(e.claimedUntil), lt(e.claimedUntil, new Date(now))),
      ),
    )
    .orderBy(asc(e.nextAttemptAt))
    .limit(SWEEP_LIMIT);
  await announceEvents(env, lost.map((r) => r.id));
  const purged = await db
    .delete(e)
    .where(
      sql`${e.id} IN (SELECT ${e.id} FROM ${e} WHERE ${e.status} = 'done' AND ${e.processedAt} < ${now - EVENT_RETENTION_MS} LIMIT ${PURGE_LIMIT})`,
    )
    .returning({ id: e.id });
  return { resent: lost.map((r) => r.id), purged: purged.length };
}

/**
 * Run every event that is due now, oldest first, until none is left (each event's handlers may
 * emit more). For tests and scripts: it drains the table the way the consumer would, instead of
 * waiting for the local queue. Events held by another consumer are waited for, up to `timeoutMs`.
 * Returns how many events finished (done or dead) in this call.
 */
export async function runDueEvents(env: Env, options: { now?: () => number; timeoutMs?: number } = {}): Promise<number> {
  const clock = options.now ?? Date.now;
  const deadline = Date.now() + (options.timeoutMs ?? 10_000);
  let finished = 0;
  for (;;) {
    const now = clock();
    const due = await getDb(env)
      .select({ id: e.id, claimedUntil: e.claimedUntil })
      .from(e)
      .where(and(eq(e.status, "pending"), lte(e.nextAttemptAt, new Date(now))))
      .orderBy(asc(e.createdAt))
      .limit(50);
    if (due.length === 0) return finished;
    let progressed = false;
    for (const { id } of due) {
      const result = await processEvent(env, id, now);
      if (result.outcome === "done" || result.outcome === "dead") finished++;
      if (result.outcome !== "skipped") progressed = true;
    }
    if (!progressed) {
      // held by the local queue's consumer: let it finish
      if (Date.now() > deadline) return finished;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

export type { EventKind };
