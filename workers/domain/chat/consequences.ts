// What follows from a chat message, as the spine's handlers (ADR 014, ADR 025): the events come
// from a channel object's outbox (object-side.ts forwardOutbox) and carry only {channelId, seq};
// each handler reads the message from the object now, so a late or repeated event acts on what is
// stored, never on a stale copy. Search indexing is search/sync.ts's "message" subject.
import { and, asc, eq, gt, isNull } from "drizzle-orm";
import { getDb, schema } from "../../db/client";
import { mentionedIds } from "../../lib/markdown";
import { mentionAndNotify } from "../discussions/consequences";
import type { DomainEvent } from "../events/kinds";
import { notify } from "../notifications/deliver";
import { isConversationId, messageIdOf } from "../../../durable-objects/protocol";
import { channelStub, loadChatMessage, notifyLevels } from "./channels";

type MessageEvent = DomainEvent<"message.created" | "message.updated" | "message.removed">;

const messageOf = (event: MessageEvent) => messageIdOf(event.payload.channelId, event.payload.seq);

/**
 * Make the stored mentions of the message match its text now (deleted or erased: none, and their
 * unread notices are withdrawn) and tell the newly mentioned who may read the channel, unless
 * their level for it is "none". Notices are keyed (user, kind, message): a repeated event tells
 * nobody twice. D1: about six statements; one object call.
 */
export async function mentionsOfMessage(env: Env, event: MessageEvent): Promise<void> {
  // a new message without a mention token has no mentions to store and none to withdraw
  if (event.kind === "message.created" && (event.payload as { mentions?: boolean }).mentions === false) return;
  // a member renamed or erased between the message's writing and now (before its mentions were
  // stored, so user.renamed found none to render again): its names as they are now
  if (event.kind !== "message.removed") await channelStub(env, event.payload.channelId).refreshMentions(event.payload.seq);
  // a DM notifies its participants by the missed-message path (ADR 033), not as a space's mention
  if (isConversationId(event.payload.channelId)) return;
  const loaded = await loadChatMessage(env, messageOf(event));
  if (!loaded) return;
  const { channel, found, live } = loaded;
  await mentionAndNotify(
    env,
    { type: "message", id: found.message.id, communityId: channel.communityId, spaceId: channel.id },
    { communityId: channel.communityId, authorId: found.authorId, body: found.message.body, deletedAt: live ? null : new Date() },
    async (userIds) => {
      const levels = await notifyLevels(env, channel.id, userIds);
      return userIds.filter((id) => levels.get(id) !== "none");
    },
  );
}

/**
 * A new message in a space (`message.created`, one that mentions someone: plain ones come as
 * `chat.activity`) brings the channel's "all" notices up to date (allNotices). A DM's goes to its
 * participants (directMessageNotice).
 */
export async function activityOfMessage(env: Env, event: DomainEvent<"message.created">): Promise<void> {
  if (isConversationId(event.payload.channelId)) return directMessageNotice(env, event);
  await allNotices(env, event.payload.channelId, [{ seq: event.payload.seq }]);
}

/** A space's `chat.activity` (one outbox forward's last plain message of each author): allNotices once for all of them. */
export async function activityOfChannel(env: Env, event: DomainEvent<"chat.activity">): Promise<void> {
  await allNotices(env, event.payload.channelId, event.payload.latest);
}

/**
 * The members at level "all" for the space `channelId` (who may read it, and whose new-posts
 * preference is on) get one notice per channel — subject the space — brought up to date to the
 * newest live message of `messages` that is not their own: its author, its time, unread again.
 * Those a message mentions were told by the mention. `authorId`, when known, saves loading a
 * message only its author waits for. D1: one read of the channel's "all" settings (all most
 * channels cost); when someone is at "all", one object call per message used (newest first, until
 * everyone has theirs), the access checks and the upserts.
 */
async function allNotices(env: Env, channelId: string, messages: Array<{ seq: number; authorId?: string }>): Promise<void> {
  const s = schema.chatSettings;
  const rows = await getDb(env).select({ userId: s.userId }).from(s).where(and(eq(s.spaceId, channelId), eq(s.notify, "all")));
  if (rows.length === 0) return;
  const waiting = new Set(rows.map((r) => r.userId));
  for (const { seq, authorId } of [...messages].sort((a, b) => b.seq - a.seq)) {
    if (waiting.size === 0) break;
    // each member's notice takes the newest message not by them: one that only its author still waits for tells nobody
    if (waiting.size === 1 && authorId !== undefined && waiting.has(authorId)) continue;
    const loaded = await loadChatMessage(env, messageIdOf(channelId, seq));
    if (!loaded?.live) continue;
    const { channel, found } = loaded;
    const mentioned = new Set(mentionedIds(found.message.body));
    const told = [...waiting].filter((id) => id !== found.authorId);
    for (const id of told) waiting.delete(id);
    await notify(
      env,
      "new_message",
      { type: "space", id: channel.id, communityId: channel.communityId, spaceId: channel.id },
      found.authorId,
      told.filter((id) => !mentioned.has(id)),
      { refreshAt: new Date(found.message.createdAt) },
    );
  }
}

/**
 * A DM tells its other active participants at once (issue 13): one notice per conversation and
 * recipient, brought up to date by each message (its author, its time, unread again), with the
 * direct-messages preference on. The email for what stays unread is missed-messages.ts's. D1: the
 * conversation's members, the access check, the upserts; one object call.
 */
async function directMessageNotice(env: Env, event: DomainEvent<"message.created">): Promise<void> {
  const loaded = await loadChatMessage(env, messageOf(event));
  if (!loaded?.live) return;
  const { channel, found } = loaded;
  const cm = schema.conversationMembers;
  const members = await getDb(env)
    .select({ userId: cm.userId })
    .from(cm)
    .where(and(eq(cm.conversationId, channel.id), isNull(cm.leftAt)));
  await notify(
    env,
    "direct_message",
    { type: "conversation", id: channel.id, communityId: channel.communityId },
    found.authorId,
    members.map((m) => m.userId),
    { refreshAt: new Date(found.message.createdAt) },
  );
}

/** Channels renamed in one go per page of chat_authors (one object call each). */
const RENAME_PAGE = 100;

/**
 * user.renamed (ADR 017): in every channel holding the member's messages (chat_authors) those carry
 * their new name, as Discord and Slack show a member's name today on what they wrote before, and
 * in those channels and every conversation they were ever in, the messages mentioning them are
 * rendered again (refreshMentionsOf: a mention of themselves, and DMs, which keep no mentions
 * rows; a space's mentions by others come through the mentions handler). An erased member's own
 * messages are the purge's (tombstones). Runs on the event's first slice only (`after` ""; the
 * later ones page the mentions). Idempotent: the spine retries it whole.
 */
export async function renameChatAuthor(env: Env, event: DomainEvent<"user.renamed">): Promise<void> {
  const { userId, after } = event.payload;
  if (after !== "") return;
  const db = getDb(env);
  const [user] = await db.select({ name: schema.users.name, deletedAt: schema.users.deletedAt }).from(schema.users).where(eq(schema.users.id, userId)).limit(1);
  if (!user) return;
  const a = schema.chatAuthors;
  const cm = schema.conversationMembers;
  await forEachChannel(
    env,
    (from) => db.select({ channelId: a.channelId }).from(a).where(and(eq(a.userId, userId), gt(a.channelId, from))).orderBy(asc(a.channelId)).limit(RENAME_PAGE),
    async (stub) => {
      if (!user.deletedAt) await stub.renameAuthor(userId, user.name);
      await stub.refreshMentionsOf(userId);
    },
  );
  await forEachChannel(
    env,
    (from) => db.select({ channelId: cm.conversationId }).from(cm).where(and(eq(cm.userId, userId), gt(cm.conversationId, from))).orderBy(asc(cm.conversationId)).limit(RENAME_PAGE),
    (stub) => stub.refreshMentionsOf(userId),
  );
}

/** Runs `each` on the object of every channel `page` lists (RENAME_PAGE at a time, after the id `from`), a page's calls side by side. */
async function forEachChannel(env: Env, page: (from: string) => Promise<Array<{ channelId: string }>>, each: (stub: ReturnType<typeof channelStub>) => Promise<unknown>): Promise<void> {
  for (let from = ""; ; ) {
    const rows = await page(from);
    await Promise.all(rows.map((row) => each(channelStub(env, row.channelId))));
    if (rows.length < RENAME_PAGE) return;
    from = rows[rows.length - 1].channelId;
  }
}
