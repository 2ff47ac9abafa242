// Missed messages by email (ADR 033): a DM message, or a mention in a chat space, still unread 15
// minutes after it was sent reaches its recipient in one mail per member, through the outbox.
//
// The outbox forward that carries a message writes one chat_missed row per recipient and, per
// recipient and 15-minute slot of the send time, one delayed `chat.missed` event (a derived id: a
// slot's messages share it, and a forward that runs twice writes each once). The event is due once
// every message of its slot is 15 minutes old; its handler mails the rows due and still unread,
// and settles every due row in the mail's own D1 batch, so a retry finds nothing to send.
import { and, eq, inArray, isNull, lte, sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import { getDb, schema } from "../../db/client";
import { derivedId } from "../../lib/ids";
import { mailTemplates, type MissedItem } from "../../mail/templates";
import { outboxInsert } from "../../mail/outbox";
import { effectiveNotificationPrefs } from "../account/user-view";
import { announceEvents, eventInsert } from "../events/emit";
import type { DomainEvent } from "../events/kinds";
import { chunk, inChunks } from "../readable";
import { channelStub, notifyLevels } from "./channels";
import { hiddenAuthorsOf } from "./blocks";
import { channelReadersAmong } from "./inbox";
import { isConversationId } from "../../../durable-objects/protocol";

/** How long a DM message or a mention stays unread before it is mailed (ms): the 15 minutes. */
export const MISSED_AFTER_MS = 15 * 60_000;
/** Messages listed in one mail; the rest are counted. */
const MAX_LISTED = 20;
/** Rows one job settles at most (one D1 batch). */
const MAX_ROWS = 200;

/** A new message that may be missed: its seq, author, send time (ms) and the members it mentions. */
export type MissedCandidate = { seq: number; authorId: string; at: number; mentioned: string[] };

/** The slot (a 15-minute span of send times) a message falls in. */
export const slotOf = (at: number) => Math.floor(at / MISSED_AFTER_MS);
/** When a slot's job is due (ms): once the slot's last possible message is 15 minutes old. */
const jobDueAt = (slot: number) => (slot + 2) * MISSED_AFTER_MS;

/**
 * The forward's statements for new messages that may be missed: who would miss each one (a DM's
 * other active participants; a space message's mentioned members), a chat_missed row each, and
 * each recipient's delayed job for the slot. D1: one read of a DM's participants. Returns the
 * statements and the jobs' event ids (to announce after the batch).
 */
export async function missedMessageWrites(
  env: Env,
  where: { channelId: string; communityId: string },
  candidates: MissedCandidate[],
): Promise<{ statements: BatchItem<"sqlite">[]; eventIds: string[] }> {
  const dm = isConversationId(where.channelId);
  const relevant = dm ? candidates : candidates.filter((c) => c.mentioned.length > 0);
  if (relevant.length === 0) return { statements: [], eventIds: [] };
  let participants: string[] = [];
  if (dm) {
    const cm = schema.conversationMembers;
    const rows = await getDb(env).select({ userId: cm.userId }).from(cm).where(and(eq(cm.conversationId, where.channelId), isNull(cm.leftAt)));
    participants = rows.map((r) => r.userId);
  }
  const db = getDb(env);
  // a mention token names any id a client typed (`<@usr_made_up>`): only accounts that exist get a
  // row (chat_missed.user_id is a foreign key, and one failing row would fail the whole forward);
  // whether they may read the channel is the job's check when it runs
  let known: Set<string> | null = null;
  if (!dm) {
    const named = [...new Set(relevant.flatMap((m) => m.mentioned))];
    const u = schema.users;
    // one bound list however many were named (D1 binds at most 100 values a statement)
    const found = named.length ? await db.select({ id: u.id }).from(u).where(and(sql`${u.id} in (select value from json_each(${JSON.stringify(named)}))`, isNull(u.deletedAt))) : [];
    known = new Set(found.map((r) => r.id));
  }
  const rows: Array<typeof schema.chatMissed.$inferInsert> = [];
  const jobs = new Map<string, { userId: string; slot: number }>();
  for (const message of relevant) {
    const recipients = (dm ? participants : [...new Set(message.mentioned)]).filter((id) => id !== message.authorId && (known === null || known.has(id)));
    for (const userId of recipients) {
      rows.push({ userId, channelId: where.channelId, seq: message.seq, communityId: where.communityId, reason: dm ? "dm" : "mention", dueAt: new Date(message.at + MISSED_AFTER_MS) });
      const slot = slotOf(message.at);
      jobs.set(`${userId}\n${slot}`, { userId, slot });
    }
  }
  // seven bound values a row, under D1's 100 a statement
  const statements: BatchItem<"sqlite">[] = chunk(rows, 14).map((part) => db.insert(schema.chatMissed).values(part).onConflictDoNothing());
  const eventIds: string[] = [];
  for (const [key, job] of jobs) {
    const id = await derivedId("evt", `chat.missed\n${key}`);
    eventIds.push(id);
    const dueAt = new Date(jobDueAt(job.slot));
    statements.push(
      eventInsert(env, { kind: "chat.missed", communityId: where.communityId, subject: { type: "user", id: job.userId }, payload: { userId: job.userId, slot: job.slot } }, { id, dueAt })
        .statement,
    );
  }
  return { statements, eventIds };
}

/**
 * The `chat.missed` handler: the member's chat_missed rows due by now, those still unread (their
 * chat_reads position is below the seq), in channels they may still read, at a level that is not
 * "none" (spaces), with the missed_messages preference on — one mail in their language through the
 * outbox, and every due row settled in the same batch. Idempotent: the mail's id derives from the
 * event, and settled rows are not read again. D1: about eight reads and one batch; one object call
 * per listed message. `at` (ms) is the clock; the spine runs the job only once it is due, so
 * every row of its slot counts as due then even on a clock behind it.
 */
export async function sendMissedMessages(env: Env, event: DomainEvent<"chat.missed">, at = Date.now()): Promise<void> {
  const { userId, slot } = event.payload;
  const now = Math.max(at, jobDueAt(slot));
  const db = getDb(env);
  const cmx = schema.chatMissed;
  const due = await db
    .select()
    .from(cmx)
    .where(and(eq(cmx.userId, userId), isNull(cmx.settledAt), lte(cmx.dueAt, new Date(now))))
    .orderBy(cmx.dueAt)
    .limit(MAX_ROWS);
  if (due.length === 0) return;
  const u = schema.users;
  const [user] = await db.select().from(u).where(eq(u.id, userId)).limit(1);
  const channelIds = [...new Set(due.map((r) => r.channelId))];
  const unread = user && !user.deletedAt && user.email && effectiveNotificationPrefs(user.notificationPrefs).missed_messages ? await stillUnread(env, userId, due) : [];
  const settle = db
    .update(cmx)
    .set({ settledAt: new Date(now) })
    .where(and(eq(cmx.userId, userId), isNull(cmx.settledAt), inArray(cmx.channelId, channelIds), lte(cmx.dueAt, new Date(now))));
  if (unread.length === 0 || !user?.email) {
    await settle;
    return;
  }
  const communities = [...new Set(unread.map((r) => r.communityId))];
  const hidden = new Set((await Promise.all(communities.map((id) => hiddenAuthorsOf(env, id, userId)))).flat());
  const items = await describe(env, unread.slice(0, MAX_LISTED), hidden);
  if (items.length === 0) {
    await settle;
    return;
  }
  const origin = env.APP_ORIGIN ?? "";
  const content = mailTemplates(user.locale).missedMessages({
    name: user.name,
    appName: env.APP_NAME ?? "Enclave",
    items,
    more: unread.length - Math.min(unread.length, MAX_LISTED),
    settingsLink: `${origin}/settings/profile`,
  });
  const mail = outboxInsert(env, { userId, to: user.email, kind: "missed_messages", ...content }, { id: await derivedId("mail", event.id) });
  await db.batch([settle, ...mail.statements]);
  await announceEvents(env, [mail.eventId]);
}

type MissedRow = typeof schema.chatMissed.$inferSelect;

/** The rows the member has not read and may still read (spaces: at a level other than "none"). */
async function stillUnread(env: Env, userId: string, rows: MissedRow[]): Promise<MissedRow[]> {
  const r = schema.chatReads;
  const channelIds = [...new Set(rows.map((row) => row.channelId))];
  const reads = await inChunks(channelIds, (part) =>
    getDb(env)
      .select({ channelId: r.channelId, readSeq: r.readSeq })
      .from(r)
      .where(and(eq(r.userId, userId), inArray(r.channelId, part))),
  );
  const readSeq = new Map(reads.map((x) => [x.channelId, x.readSeq]));
  const allowed = new Set<string>();
  for (const channelId of channelIds) {
    const row = rows.find((x) => x.channelId === channelId)!;
    if (!(await channelReadersAmong(env, row.communityId, channelId, [userId])).has(userId)) continue;
    if (!isConversationId(channelId) && (await notifyLevels(env, channelId, [userId])).get(userId) === "none") continue;
    allowed.add(channelId);
  }
  return rows.filter((row) => allowed.has(row.channelId) && row.seq > (readSeq.get(row.channelId) ?? 0));
}

/** What the mail shows of each message, read from its channel's object now (deleted ones are left out). */
async function describe(env: Env, rows: MissedRow[], hidden: ReadonlySet<string>): Promise<MissedItem[]> {
  const s = schema.spaces;
  const c = schema.communities;
  const spaceIds = [...new Set(rows.filter((r) => !isConversationId(r.channelId)).map((r) => r.channelId))];
  const communityIds = [...new Set(rows.map((r) => r.communityId))];
  const db = getDb(env);
  const [spaces, communities] = await Promise.all([
    spaceIds.length ? db.select({ id: s.id, name: s.name }).from(s).where(inArray(s.id, spaceIds)) : Promise.resolve([]),
    db.select({ id: c.id, slug: c.slug }).from(c).where(inArray(c.id, communityIds)),
  ]);
  const spaceName = new Map(spaces.map((x) => [x.id, x.name]));
  const slug = new Map(communities.map((x) => [x.id, x.slug]));
  const origin = env.APP_ORIGIN ?? "";
  const items: MissedItem[] = [];
  for (const row of rows) {
    const found = await channelStub(env, row.channelId).message(row.seq);
    // deleted since, or written by someone the member blocked (ADR 033): not theirs to read
    if (!found || found.deleted || hidden.has(found.authorId)) continue;
    const dm = isConversationId(row.channelId);
    items.push({
      where: dm ? "" : spaceName.get(row.channelId) ?? "",
      dm,
      author: found.message.author.name,
      excerpt: found.excerpt.length > 140 ? `${found.excerpt.slice(0, 139)}…` : found.excerpt,
      link: dm ? `${origin}/c/${slug.get(row.communityId)}/messages/${row.channelId}` : `${origin}/c/${slug.get(row.communityId)}/s/${row.channelId}?seq=${row.seq}#msg-${row.seq}`,
    });
  }
  return items;
}
