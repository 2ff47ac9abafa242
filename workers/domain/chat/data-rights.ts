// What chat registers in the data-rights contract (ADR 019, ADR 024). Messages live in each
// channel's Durable Object; D1's chat_authors says which channels hold a member's messages.
// - export: the member's messages, channel by channel, read from the objects in keyset pages;
// - erasure: their notification settings go in the batch; the purge anonymises their messages
//   inside each object (body, images and name go; a tombstone keeps the history's order), then
//   takes their messages out of search and others' notices of them, and drops the chat_authors row, a slice of channels at a
//   time, retried by the spine (ADR 025).
import { and, asc, eq, gt, isNull, or, sql } from "drizzle-orm";
import { getDb, schema } from "../../db/client";
import { communityRef, iso, listSection, rowid } from "../data-rights/pages";
import { deleted, nulled, purged, type PersonalData } from "../data-rights/types";
import { channelStub } from "./channels";
import { removeDocuments } from "../search/index";
import { isConversationId, messageIdOf } from "../../../durable-objects/protocol";

const a = schema.chatAuthors;
const s = schema.chatSettings;
const n = schema.notifications;

/** A keyset that orders (chat_authors rowid, seq) as one number: seqs stay below 2^32. */
const SEQ_SPAN = 2 ** 32;
const keyOf = (row: number, seq: number) => row * SEQ_SPAN + seq;
const keyParts = (key: number) => ({ row: Math.floor(key / SEQ_SPAN), seq: key % SEQ_SPAN });

/** Channels purged per slice: one object call each, well under a queue invocation's subrequests. */
const PURGE_SLICE = 25;

const channelsOf = (env: Env, userId: string, fromRow: number, limit: number) =>
  getDb(env)
    .select({ row: rowid(a), channelId: a.channelId, communityId: a.communityId })
    .from(a)
    .where(and(eq(a.userId, userId), sql`${rowid(a)} >= ${fromRow}`))
    .orderBy(rowid(a))
    .limit(limit);

export const chatData: PersonalData = {
  name: "chat messages",
  columns: {
    "chat_authors.user_id": purged,
    "chat_settings.user_id": deleted,
    // what may be emailed to them as missed (ADR 033): nothing to send to an erased person
    "chat_missed.user_id": deleted,
    // read positions and the heads' last author: dmData below
  },
  export: [
    {
      name: "chatMessages",
      shape: "list",
      count: async ({ env, user }) => {
        const channels = await channelsOf(env, user.id, 0, 10_000);
        const counts = await Promise.all(channels.map((c) => channelStub(env, c.channelId).countByAuthor(user.id)));
        return counts.reduce((sum, n) => sum + n, 0);
      },
      page: async ({ env, user }, after, limit) => {
        const start = after === null ? { row: 0, seq: 0 } : keyParts(after);
        const items: unknown[] = [];
        let last: number | null = null;
        for (const channel of await channelsOf(env, user.id, start.row, 50)) {
          const from = channel.row === start.row ? start.seq : 0;
          const want = limit - items.length;
          const messages = await channelStub(env, channel.channelId).exportAuthor(user.id, from, want);
          for (const m of messages) {
            // a DM's messages take the same path (their channel is the conversation: ADR 033)
            const where = isConversationId(channel.channelId) ? { conversationId: channel.channelId } : { spaceId: channel.channelId };
            items.push({ id: m.id, ...where, seq: m.seq, body: m.body, images: m.images, replyTo: m.replyTo?.id ?? null, createdAt: m.createdAt, editedAt: m.editedAt, deleted: m.deleted });
            last = keyOf(channel.row, m.seq);
          }
          // a full page may have more in this channel: the next page starts after its last seq
          if (items.length >= limit) return { items, last };
        }
        // fewer than 50 channels read, or the page is short: none left after these
        return { items, last: items.length < limit ? null : last };
      },
    },
  ],
  erase: ({ env, user }) => [
    getDb(env).delete(s).where(eq(s.userId, user.id)),
    getDb(env).delete(schema.chatMissed).where(eq(schema.chatMissed.userId, user.id)),
  ],
  purge: {
    name: "chat",
    run: async (env, userId, cursor) => {
      const rows = await getDb(env)
        .select({ channelId: a.channelId })
        .from(a)
        .where(and(eq(a.userId, userId), cursor ? gt(a.channelId, cursor) : undefined))
        .orderBy(asc(a.channelId))
        .limit(PURGE_SLICE);
      for (const row of rows) {
        const channel = channelStub(env, row.channelId);
        await channel.eraseAuthor(userId);
        // the object keeps the author's id on the tombstones, so their seqs can still be listed
        for (let after = 0; ; ) {
          const page = await channel.exportAuthor(userId, after, 1_000);
          const ids = page.map((m) => messageIdOf(row.channelId, m.seq));
          await removeDocuments(env, ids);
          // a notice of a message that is gone would be listed by nobody yet still counted unread
          await getDb(env)
            .delete(n)
            .where(and(eq(n.subjectType, "message"), sql`${n.subjectId} IN (SELECT value FROM json_each(${JSON.stringify(ids)}))`));
          if (page.length < 1_000) break;
          after = page[page.length - 1].seq;
        }
        await getDb(env).delete(a).where(and(eq(a.userId, userId), eq(a.channelId, row.channelId)));
      }
      return rows.length === PURGE_SLICE ? rows[rows.length - 1].channelId : null;
    },
  },
};

/**
 * DMs, read positions and blocks (ADR 033). A member's DM messages are chat messages (chatData
 * above exports and anonymises them through chat_authors); here the rows around them: blocks both
 * ways and read positions go, a head's last author is nulled (the object's tombstone shows
 * "Deleted member"), and the erased member leaves every conversation — their rows stay so a
 * conversation keeps who started it and who was in it, holding nothing personal once the account
 * is scrubbed.
 */
export const dmData: PersonalData = {
  name: "direct messages",
  columns: {
    "blocks.blocker_id": deleted,
    "blocks.blocked_id": deleted,
    // read positions (the object's copy goes with the channel; D1's mirror with the account)
    "chat_reads.user_id": deleted,
    // the messages of members they blocked, left out of their unread counts; and theirs, out of their blockers'
    "chat_hidden.user_id": deleted,
    "chat_hidden.author_id": deleted,
    // who wrote a channel's last message, for the inbox line: the erased author is no one, their words gone
    "chat_heads.last_author_id": nulled,
    "conversation_members.user_id": { fate: "kept", reason: "who was in a conversation: set as left, shown as Deleted member to the others" },
    "conversations.created_by": { fate: "kept", reason: "who started a conversation, shown as Deleted member; the row holds nothing personal" },
  },
  export: [
    // whom the member blocked (being blocked is the blocker's record, not the blocked member's)
    listSection({
      name: "blocks",
      table: schema.blocks,
      whose: (user) => eq(schema.blocks.blockerId, user.id),
      read: ({ env }, where, limit) =>
        getDb(env)
          .select({ rowid: rowid(schema.blocks), community: communityRef, blockedId: schema.blocks.blockedId, blockedName: schema.users.name, createdAt: schema.blocks.createdAt })
          .from(schema.blocks)
          .innerJoin(schema.communities, eq(schema.communities.id, schema.blocks.communityId))
          .innerJoin(schema.users, eq(schema.users.id, schema.blocks.blockedId))
          .where(where)
          .orderBy(rowid(schema.blocks))
          .limit(limit),
      map: (row) => ({ community: row.community, blocked: { id: row.blockedId, name: row.blockedName }, createdAt: iso(row.createdAt) }),
    }),
    // the conversations the member was in (their messages are in `chatMessages` under conversationId)
    listSection({
      name: "conversations",
      table: schema.conversationMembers,
      whose: (user) => eq(schema.conversationMembers.userId, user.id),
      read: ({ env }, where, limit) =>
        getDb(env)
          .select({
            rowid: rowid(schema.conversationMembers),
            community: communityRef,
            id: schema.conversations.id,
            kind: schema.conversations.kind,
            name: schema.conversations.name,
            joinedAt: schema.conversationMembers.joinedAt,
            leftAt: schema.conversationMembers.leftAt,
          })
          .from(schema.conversationMembers)
          .innerJoin(schema.conversations, eq(schema.conversations.id, schema.conversationMembers.conversationId))
          .innerJoin(schema.communities, eq(schema.communities.id, schema.conversations.communityId))
          .where(where)
          .orderBy(rowid(schema.conversationMembers))
          .limit(limit),
      map: (row) => ({ community: row.community, id: row.id, kind: row.kind, name: row.name, joinedAt: iso(row.joinedAt), leftAt: iso(row.leftAt) }),
    }),
  ],
  erase: ({ env, user, now }) => {
    const db = getDb(env);
    const b = schema.blocks;
    const h = schema.chatHeads;
    const cm = schema.conversationMembers;
    return [
      db.delete(b).where(or(eq(b.blockerId, user.id), eq(b.blockedId, user.id))),
      db.delete(schema.chatReads).where(eq(schema.chatReads.userId, user.id)),
      db.delete(schema.chatHidden).where(or(eq(schema.chatHidden.userId, user.id), eq(schema.chatHidden.authorId, user.id))),
      db.update(h).set({ lastAuthorId: null, lastExcerpt: "" }).where(eq(h.lastAuthorId, user.id)),
      db.update(cm).set({ leftAt: now }).where(and(eq(cm.userId, user.id), isNull(cm.leftAt))),
    ];
  },
};
