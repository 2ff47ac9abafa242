// Writing domain events (ADR 014): a use case adds `eventInsert(...).statement` to the D1 batch
// that makes the change, and calls `announceEvents` with the ids once the batch has committed.
// The row is the durable record; the queue message only wakes the consumer sooner. If the
// message is lost (the isolate died between the commit and the send, the queue refused it),
// the cron sweep (process.ts sweepEvents) finds the row and sends it again.
import { getDb, schema } from "../../db/client";
import { changedJustBefore, rowWhere } from "../../db/insert-select";
import { derivedId, newId } from "../../lib/ids";
import type { EventKind, EventPayload, EventSubject } from "./kinds";

export type EventInput<K extends EventKind> = {
  kind: K;
  /** whose admins see the event if it dead-letters; null for platform-wide events */
  communityId: string | null;
  subject: EventSubject;
  /** ids only (kinds.ts) */
  payload: EventPayload<K>;
};

export type EventWrite = {
  id: string;
  statement: ReturnType<typeof plainInsert> | ReturnType<ReturnType<typeof plainInsert>["onConflictDoNothing"]> | ReturnType<typeof conditionalInsert>;
};

const eventRow = <K extends EventKind>(id: string, input: EventInput<K>, now: Date, dueAt: Date = now) => ({
  id,
  kind: input.kind,
  communityId: input.communityId,
  subjectType: input.subject.type,
  subjectId: input.subject.id,
  payload: input.payload,
  nextAttemptAt: dueAt,
  createdAt: now,
});

const plainInsert = <K extends EventKind>(env: Env, id: string, input: EventInput<K>, now: Date, dueAt?: Date) =>
  getDb(env).insert(schema.domainEvents).values(eventRow(id, input, now, dueAt));

const conditionalInsert = <K extends EventKind>(env: Env, id: string, input: EventInput<K>, now: Date) =>
  getDb(env)
    .insert(schema.domainEvents)
    .select(rowWhere(schema.domainEvents, eventRow(id, input, now), changedJustBefore));

/**
 * The insert of one domain event, to put in the batch of the change it records. With
 * `ifChanged`, the row is written only if the statement just before it in the batch changed a
 * row (SQLite's changes(); an insert before it chains, so audit-then-event works): a conditional
 * change that lost a race leaves no event. With `id` (a derived id: lib/ids.ts derivedId), an
 * event already written under it is left as it is, so a handler that emits the next step of its
 * work can run twice and still emit one. Returns the event's id (for announceEvents) and the
 * statement. With `dueAt` (and an `id`), the event waits until then: a delayed job (the consumer
 * puts a message for an event not yet due back on the queue with the wait as its delay, and the
 * sweep re-sends it once due). Throws nothing; a payload is checked by its kind's schema when it
 * is processed.
 */
export function eventInsert<K extends EventKind>(
  env: Env,
  input: EventInput<K>,
  options: { ifChanged?: boolean; id?: string; dueAt?: Date } = {},
): EventWrite {
  const now = new Date();
  if (options.id) return { id: options.id, statement: plainInsert(env, options.id, input, now, options.dueAt).onConflictDoNothing() };
  const id = newId("evt");
  return { id, statement: options.ifChanged ? conditionalInsert(env, id, input, now) : plainInsert(env, id, input, now) };
}

/**
 * Wake the consumer for events whose batch has committed. Never throws: a message that cannot be
 * sent is logged, and the sweep delivers the event later (at most SWEEP_AFTER_MS late). An id
 * whose conditional insert wrote nothing is harmless: the consumer finds no row and acks.
 */
export async function announceEvents(env: Env, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  try {
    await env.EVENTS_QUEUE.sendBatch(ids.map((eventId) => ({ body: { eventId } })));
  } catch (error) {
    console.error(JSON.stringify({ at: "events.announce", ids, error: String(error) }));
  }
}

/**
 * From inside a handler, emit the next step of its work as an event of its own (a slice of a fan-out
 * that did not fit one invocation). Its id derives from the running event and `step`, so a handler
 * that runs twice emits the step once. Written and announced at once (no batch to join).
 */
export async function emitFollowUp<K extends EventKind>(env: Env, from: { id: string }, step: string, input: EventInput<K>): Promise<void> {
  const id = await derivedId("evt", `${from.id}\n${step}`);
  await eventInsert(env, input, { id }).statement;
  await announceEvents(env, [id]);
}
