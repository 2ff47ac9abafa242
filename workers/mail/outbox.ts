// Every mail is a row in the outbox, written in the same D1 batch as the change that causes it,
// with a `mail.queued` domain event beside it (ADR 014). The spine's consumer sends it through
// sendQueuedMail, retrying with backoff and dead-lettering what keeps failing; the cron's sweep
// re-sends an event whose queue message was lost. The row keeps the address and the text; the
// event only its id.
import { and, eq, isNull, lt, or, sql } from "drizzle-orm";
import { getDb, schema } from "../db/client";
import { eventInsert } from "../domain/events/emit";
import type { DomainEvent } from "../domain/events/kinds";
import { newId } from "../lib/ids";
import { sendMail } from "./sender";

export type OutboxMail = { userId: string | null; to: string; kind: string; subject: string; text: string };

/** How long a sender holds a mail: longer than the mail API's slowest answer. */
const MAIL_LEASE_MS = 60_000;

/**
 * The outbox row and its `mail.queued` event, for the caller's batch; after the batch committed,
 * pass `eventId` to announceEvents (domain/events/emit.ts). With `id` (a derived id, lib/ids.ts
 * derivedId) a mail already queued under it is left alone, so a job that runs twice mails once.
 */
export function outboxInsert(env: Env, mail: OutboxMail, options: { id?: string } = {}) {
  const id = options.id ?? newId("mail");
  const insert = getDb(env)
    .insert(schema.outbox)
    .values({ id, userId: mail.userId, toEmail: mail.to, kind: mail.kind, subject: mail.subject, text: mail.text });
  const row = options.id ? insert.onConflictDoNothing() : insert;
  const input = { kind: "mail.queued", communityId: null, subject: { type: "mail", id }, payload: { outboxId: id } } as const;
  const event = options.id ? eventInsert(env, input, { id: `${id}-queued` }) : eventInsert(env, input);
  return { id, eventId: event.id, statements: [row, event.statement] as const };
}

/**
 * The spine's mail handler. Claims the row (a lease: the queue, a redelivery and the sweep never
 * send one mail twice), sends it, and marks it sent. Already sent or erased: nothing to do.
 * Without MAIL_API_URL the mail stays in the outbox for /dev/outbox and the event is done.
 * Throws when the provider refuses or cannot be reached, so the spine retries with backoff.
 */
export async function sendQueuedMail(env: Env, event: DomainEvent<"mail.queued">): Promise<void> {
  if (!env.MAIL_API_URL) return;
  const db = getDb(env);
  const o = schema.outbox;
  const now = Date.now();
  const [row] = await db
    .update(o)
    .set({ claimedUntil: new Date(now + MAIL_LEASE_MS), attempts: sql`${o.attempts} + 1` })
    .where(and(eq(o.id, event.payload.outboxId), isNull(o.sentAt), or(isNull(o.claimedUntil), lt(o.claimedUntil, new Date(now)))))
    .returning();
  if (!row) {
    const [current] = await db.select({ sentAt: o.sentAt }).from(o).where(eq(o.id, event.payload.outboxId)).limit(1);
    if (!current || current.sentAt) return;
    throw new Error("the mail is being sent by another consumer");
  }
  let result: Awaited<ReturnType<typeof sendMail>>;
  try {
    result = await sendMail(env, { id: row.id, to: row.toEmail, subject: row.subject, text: row.text });
  } catch (error) {
    result = { delivered: false, error: `mail API unreachable: ${String(error)}` };
  }
  await db
    .update(o)
    .set(result.delivered ? { sentAt: new Date(), claimedUntil: null, lastError: null } : { claimedUntil: null, lastError: result.error })
    .where(eq(o.id, row.id));
  if (!result.delivered) throw new Error(result.error);
}
