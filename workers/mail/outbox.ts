// Every mail is a row in the outbox, written in the same D1 batch as the change that causes it,
// then announced on the queue; the consumer (and the cron, for anything the queue missed) sends it.
import { and, asc, eq, inArray, isNull, lt } from "drizzle-orm";
import { getDb, schema } from "../db/client";
import { newId } from "../lib/ids";
import { sendMail } from "./sender";

export type OutboxMail = { userId: string | null; to: string; kind: string; subject: string; text: string };

const MAX_ATTEMPTS = 5;

export function outboxInsert(env: Env, mail: OutboxMail) {
  const id = newId("mail");
  const statement = getDb(env)
    .insert(schema.outbox)
    .values({ id, userId: mail.userId, toEmail: mail.to, kind: mail.kind, subject: mail.subject, text: mail.text });
  return { id, statement };
}

// After the batch has committed: wake the consumer. A lost message is picked up by the cron.
export async function announceMail(env: Env, ids: string[]) {
  if (ids.length === 0 || !env.MAIL_API_URL) return;
  await env.MAIL_QUEUE.sendBatch(ids.map((id) => ({ body: { outboxId: id } })));
}

async function deliver(env: Env, ids: string[]) {
  if (ids.length === 0) return;
  const db = getDb(env);
  const rows = await db
    .select()
    .from(schema.outbox)
    .where(and(inArray(schema.outbox.id, ids), isNull(schema.outbox.sentAt), lt(schema.outbox.attempts, MAX_ATTEMPTS)));
  for (const row of rows) {
    const result = await sendMail(env, { to: row.toEmail, subject: row.subject, text: row.text });
    await db
      .update(schema.outbox)
      .set(
        result.delivered
          ? { sentAt: new Date(), attempts: row.attempts + 1, lastError: null }
          : { attempts: row.attempts + 1, lastError: result.error },
      )
      .where(eq(schema.outbox.id, row.id));
  }
}

export async function sendOutboxBatch(batch: MessageBatch<unknown>, env: Env) {
  const ids = batch.messages
    .map((m) => (m.body as { outboxId?: unknown } | null)?.outboxId)
    .filter((id): id is string => typeof id === "string");
  await deliver(env, ids);
  batch.ackAll();
}

export async function drainOutbox(env: Env) {
  if (!env.MAIL_API_URL) return;
  const db = getDb(env);
  const pending = await db
    .select({ id: schema.outbox.id })
    .from(schema.outbox)
    .where(and(isNull(schema.outbox.sentAt), lt(schema.outbox.attempts, MAX_ATTEMPTS)))
    .orderBy(asc(schema.outbox.createdAt))
    .limit(50);
  await deliver(env, pending.map((p) => p.id));
}
