// Unread counts and who hears of them (ADR 033): the channel objects mirror their heads and read
// positions into D1 (chat_heads, chat_reads) inside the outbox forward's batch; a page reads its
// counts here in one query; the community's presence object pushes `inbox` frames to those whose
// count may have changed.
import { and, eq, inArray, isNull, lte, sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import { getDb, schema } from "../../db/client";
import type { InboxMirror } from "../../../durable-objects/chat-reads";
import { inChunks, spaceReadersAmong } from "../readable";
import { skippedUnread } from "./blocks";
import { notFound } from "../../lib/errors";
import type { MemberAccess } from "../access";
import type { Reader } from "../auth/reader";
import { sessionTag } from "../auth/sessions";
import { listSpaces } from "../discussions/spaces";
import type { Identity } from "./object-side";
import { channelStub, settle, upgradeHeaders } from "./channels";

/** A DM conversation's channel id starts so (ADR 033); a chat space's is `spc_…`. */
import { isConversationId } from "../../../durable-objects/protocol";

/** The community's presence object (`presence:<communityId>`, durable-objects/community-presence.ts). */
export function presenceStub(env: Env, communityId: string) {
  const ns = env.COMMUNITY_PRESENCE;
  return ns.get(ns.idFromName(`presence:${communityId}`));
}

/**
 * The D1 statements one forward adds to its batch (object-side.ts forwardOutbox): one chat_heads
 * upsert, one insert of chat_hidden rows for the blockers of the new messages' authors, one insert
 * of chat_deleted rows for the messages deleted since the last forward (their chat_hidden rows go), and per
 * moved position one chat_reads upsert and the deletion of its hidden rows it has read past. A position never moves backwards in D1
 * either (max), so a late forward cannot undo a newer one.
 */
export function inboxMirrorStatements(env: Env, where: { channelId: string; communityId: string }, mirror: InboxMirror): BatchItem<"sqlite">[] {
  const db = getDb(env);
  const h = schema.chatHeads;
  const r = schema.chatReads;
  const now = new Date();
  const head = mirror.head;
  const values = {
    lastSeq: head.lastSeq,
    messageCount: head.messageCount,
    lastMessageAt: head.lastMessageAt === null ? null : new Date(head.lastMessageAt),
    lastExcerpt: head.lastExcerpt,
    lastAuthorId: head.lastAuthorId,
    updatedAt: now,
  };
  const statements: BatchItem<"sqlite">[] = [
    db
      .insert(h)
      .values({ channelId: where.channelId, communityId: where.communityId, ...values })
      .onConflictDoUpdate({ target: h.channelId, set: values, setWhere: sql`${h.messageCount} <= ${head.messageCount}` }),
  ];
  if (mirror.created?.length) {
    // each blocker of a new message's author does not count it unread (their history leaves it out)
    const x = schema.chatHidden;
    const b = schema.blocks;
    const created = JSON.stringify(mirror.created.map((m) => [m.seq, m.authorId]));
    statements.push(
      db
        .insert(x)
        .select(
          sql`select ${where.channelId}, ${b.blockerId}, json_extract(value, '$[0]'), ${where.communityId}, ${b.blockedId}
            from json_each(${created}) join ${b} on ${b.communityId} = ${where.communityId} and ${b.blockedId} = json_extract(value, '$[1]')`,
        )
        .onConflictDoNothing(),
    );
  }
  if (mirror.deleted?.length) {
    // a deleted message is unread to nobody (and no longer hidden from a blocker: it is gone)
    const seqs = JSON.stringify(mirror.deleted);
    const d = schema.chatDeleted;
    const x = schema.chatHidden;
    statements.push(
      db
        .insert(d)
        // "where true": SQLite reads an upsert's ON CONFLICT after a bare SELECT as a join's ON
        .select(sql`select ${where.channelId}, value, ${where.communityId} from json_each(${seqs}) where true`)
        .onConflictDoNothing(),
      db.delete(x).where(and(eq(x.channelId, where.channelId), sql`${x.seq} in (select value from json_each(${seqs}))`)),
    );
  }
  for (const read of mirror.reads) {
    // what the member has read no longer counts either way
    statements.push(db.delete(schema.chatHidden).where(and(eq(schema.chatHidden.channelId, where.channelId), eq(schema.chatHidden.userId, read.userId), lte(schema.chatHidden.seq, read.readSeq))));
    statements.push(
      db
        .insert(r)
        .values({ channelId: where.channelId, userId: read.userId, readSeq: read.readSeq, readCount: read.readCount, updatedAt: now })
        .onConflictDoUpdate({
          target: [r.channelId, r.userId],
          set: { readSeq: read.readSeq, readCount: read.readCount, updatedAt: now },
          setWhere: sql`${r.readSeq} < ${read.readSeq}`,
        }),
    );
  }
  return statements;
}

/**
 * Which of `userIds` may read the channel now: a chat space's readers (readable.ts), or a
 * conversation's active participants. D1: a few reads.
 */
export async function channelReadersAmong(env: Env, communityId: string, channelId: string, userIds: string[]): Promise<Set<string>> {
  if (userIds.length === 0) return new Set();
  if (!isConversationId(channelId)) return new Set((await spaceReadersAmong(env, communityId, channelId, userIds)).keys());
  // a DM's readers: its active participants who are still active members (not banned, removed or gone)
  const cm = schema.conversationMembers;
  const m = schema.memberships;
  const rows = await inChunks(userIds, (part) =>
    getDb(env)
      .select({ userId: cm.userId })
      .from(cm)
      .innerJoin(m, and(eq(m.communityId, communityId), eq(m.userId, cm.userId), eq(m.status, "active")))
      .where(and(eq(cm.conversationId, channelId), isNull(cm.leftAt), inArray(cm.userId, part))),
  );
  return new Set(rows.map((r) => r.userId));
}

/** One channel's unread count for the caller. */
export type ChannelUnread = { channelId: string; unread: number; lastSeq: number; readSeq: number };

/**
 * `userId`'s unread counts in the channels named (message_count − read_count − hidden − deleted, floored at 0; a
 * channel with no head yet has none). D1: one query per 90 channels.
 */
export async function unreadIn(env: Env, userId: string, channelIds: string[]): Promise<Map<string, ChannelUnread>> {
  const h = schema.chatHeads;
  const r = schema.chatReads;
  const rows = await inChunks(channelIds, (part) =>
    getDb(env)
      .select({ channelId: h.channelId, messageCount: h.messageCount, lastSeq: h.lastSeq, readCount: r.readCount, readSeq: r.readSeq, hidden: skippedUnread(h.channelId, userId, r.readSeq) })
      .from(h)
      .leftJoin(r, and(eq(r.channelId, h.channelId), eq(r.userId, userId)))
      .where(inArray(h.channelId, part)),
  );
  return new Map(
    rows.map((row) => [
      row.channelId,
      { channelId: row.channelId, unread: Math.max(0, row.messageCount - (row.readCount ?? 0) - Number(row.hidden)), lastSeq: row.lastSeq, readSeq: row.readSeq ?? 0 },
    ]),
  );
}

/**
 * After a forward's batch: tell the presence object whose inbox changed — the members whose
 * position moved, and, when new messages came, everyone there who may read the channel. Never
 * throws (the counts are right in D1 either way; a page re-reads them on its next load).
 */
export async function announceInboxChange(env: Env, where: { communityId: string; channelId: string }, change: { userIds: string[]; everyone: boolean }): Promise<void> {
  if (change.userIds.length === 0 && !change.everyone) return;
  try {
    await presenceStub(env, where.communityId).inboxChanged(where.channelId, change);
  } catch (error) {
    console.error(JSON.stringify({ at: "chat.inbox", channelId: where.channelId, error: String(error) }));
  }
}

// ---- the use cases the routes and pages share --------------------------------------------------

/**
 * Move the caller's read position in a channel to `seq` (never back): `{readSeq, unread}` as the
 * channel's object holds them now; D1 follows with the next forward (≤ 500 ms). Refusals as
 * openChannel's (404 for a channel the caller may not read).
 */
export async function markChannelRead(env: Env, identity: Identity, seq: number): Promise<{ readSeq: number; unread: number }> {
  return settle(await channelStub(env, identity.channelId).markRead(identity, seq));
}

/**
 * The caller's unread counts in a community: each chat space they may read (not locked) and each
 * conversation they are in, with the total. D1: the spaces list's reads, one for conversations,
 * one per 90 channels for the counts.
 */
export async function communityUnread(env: Env, access: MemberAccess): Promise<{ items: Array<{ channelId: string; unread: number }>; total: number }> {
  const userId = access.membership.userId;
  const spaces = await listSpaces(env, access, userId);
  const cm = schema.conversationMembers;
  const cv = schema.conversations;
  const conversations = await getDb(env)
    .select({ id: cv.id })
    .from(cm)
    .innerJoin(cv, eq(cv.id, cm.conversationId))
    .where(and(eq(cm.userId, userId), isNull(cm.leftAt), eq(cv.communityId, access.community.id)));
  const channelIds = [...spaces.filter((s) => s.space.kind === "chat" && !s.locked && !s.space.archived).map((s) => s.space.id), ...conversations.map((c) => c.id)];
  const counts = await unreadIn(env, userId, channelIds);
  const items = channelIds.map((channelId) => ({ channelId, unread: counts.get(channelId)?.unread ?? 0 }));
  return { items, total: items.reduce((sum, item) => sum + item.unread, 0) };
}

/** The spaces list with `unread` on each chat space the caller may read (signed-in callers only). */
export async function withUnread<T extends { space: { id: string; kind: string }; locked: boolean }>(env: Env, userId: string | null, items: T[]): Promise<Array<T & { unread?: number }>> {
  if (!userId) return items;
  const chat = items.filter((i) => i.space.kind === "chat" && !i.locked).map((i) => i.space.id);
  if (chat.length === 0) return items;
  const counts = await unreadIn(env, userId, chat);
  return items.map((i) => (i.space.kind === "chat" && !i.locked ? { ...i, unread: counts.get(i.space.id)?.unread ?? 0 } : i));
}

/** Members with `online` from the community's presence object: one call for the whole page. */
export async function withOnline<T extends { user: { id: string } }>(env: Env, communityId: string, items: T[]): Promise<Array<T & { online: boolean }>> {
  const online = items.length ? new Set(await presenceStub(env, communityId).onlineAmong(items.map((item) => item.user.id))) : new Set<string>();
  return items.map((item) => ({ ...item, online: online.has(item.user.id) }));
}

/**
 * The community's presence socket: members only (anyone else 404, as for a community they may not
 * see), forwarded with identity headers set here (channels.ts upgradeHeaders).
 */
export async function openPresenceSocket(env: Env, access: MemberAccess, reader: Reader, request: Request): Promise<Response> {
  const found = await reader.session();
  const headers = upgradeHeaders(request, {
    userId: access.membership.userId,
    userName: found?.user.name ?? "",
    role: access.role,
    epoch: access.community.accessEpoch,
    communityId: access.community.id,
    ...(found?.sessionId ? { session: sessionTag(found.sessionId) } : {}),
  });
  const response = await presenceStub(env, access.community.id).fetch(new Request("https://presence.internal/socket", { headers }));
  if (response.status === 404) throw notFound("No such community.");
  return response;
}
