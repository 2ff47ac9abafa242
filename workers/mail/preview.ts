// The local mail preview behind GET /api/v1/dev/outbox: lets someone finish sign-up offline.
import { desc, eq } from "drizzle-orm";
import { getDb, schema } from "../db/client";

export const PREVIEW_LIMIT = 50;

export async function latestMails(env: Env, to?: string) {
  const rows = await getDb(env)
    .select()
    .from(schema.outbox)
    .where(to ? eq(schema.outbox.toEmail, to) : undefined)
    .orderBy(desc(schema.outbox.createdAt))
    .limit(PREVIEW_LIMIT);
  return rows.map((m) => ({
    id: m.id,
    to: m.toEmail,
    kind: m.kind,
    subject: m.subject,
    text: m.text,
    createdAt: m.createdAt.toISOString(),
    sentAt: m.sentAt ? m.sentAt.toISOString() : null,
  }));
}
