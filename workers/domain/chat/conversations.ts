// DM conversations (ADR 033): 1:1 ("direct") and groups of up to 20, each a ChatChannel object
// named `conversation:<id>` with the protocol, resume and bounds of a chat space. D1 holds who is
// in a conversation; the object holds its messages. Only an active participant who is an active
// member of the conversation's community may reach it: everyone else gets 404, on every route and
// socket, as if it did not exist.
import { and, desc, eq, inArray, isNull, lt, or, sql } from "drizzle-orm";
import { batchColumns, getDb, schema } from "../../db/client";
import type { DmPolicy } from "../../db/schema";
import { badRequest, conflict, notFound } from "../../lib/errors";
import { decodeCursor, encodeCursor } from "../../lib/cursor";
import { newId } from "../../lib/ids";
import { rowWhere } from "../../db/insert-select";
import { z } from "zod";
import { currentAccessEpoch } from "../access-changes";
import { requireReaderUser, type Community, type MemberAccess, type Membership } from "../access";
import type { Reader } from "../auth/reader";
import { sessionTag } from "../auth/sessions";
import type { Identity } from "./object-side";
import { channelStub } from "./channels";
import { assertMayStartDm, hiddenAuthorsOf, skippedUnread, memberKey } from "./blocks";

/** Members a conversation may have, the caller included (ADR 033). */
export const MAX_CONVERSATION_MEMBERS = 20;
/** A group's name, in characters. */
export const MAX_CONVERSATION_NAME = 80;

const cv = schema.conversations;
const cm = schema.conversationMembers;
const m = schema.memberships;
const u = schema.users;

export type Conversation = typeof cv.$inferSelect;
/** A participant as the API shows one; `online` is the presence object's (false until it answers). */
export type ConversationMember = { id: string; name: string; online: boolean };
export type ConversationView = { id: string; kind: "direct" | "group"; name: string | null; members: ConversationMember[]; createdAt: string };
export type ConversationListItem = ConversationView & {
  lastMessage: { excerpt: string; authorId: string | null; at: string; seq: number } | null;
  unread: number;
};

/** A conversation as its participant may use it, with the identity its object knows them by. */
export type ConversationAccess = {
  conversation: Conversation;
  community: Community;
  membership: Membership;
  userId: string;
  /** the participants shown: those who have not left and are active members of the community, the caller among them */
  members: ConversationMember[];
  /** every participant who has not left, shown or not (a banned member's place is kept): the member key's set */
  participantIds: string[];
  identity: Identity;
};

/**
 * The participants of conversations who have not left, with their names, by conversation;
 * `shown` when they are also an active member of the conversation's community (a banned or
 * removed member keeps their place but is not listed).
 */
function membersQuery(env: Env, conversationIds: string[] | ReturnType<typeof sql>) {
  const shown = sql<number>`exists (select 1 from ${m} where ${m.userId} = ${cm.userId} and ${m.status} = 'active'
    and ${m.communityId} = (select ${cv.communityId} from ${cv} where ${cv.id} = ${cm.conversationId}))`;
  return getDb(env)
    .select({ conversationId: cm.conversationId, id: u.id, name: u.name, shown: shown.mapWith(Boolean) })
    .from(cm)
    .innerJoin(u, eq(u.id, cm.userId))
    .where(and(Array.isArray(conversationIds) ? inArray(cm.conversationId, conversationIds) : eq(cm.conversationId, conversationIds), isNull(cm.leftAt)))
    .orderBy(cm.joinedAt, u.id);
}

/**
 * The conversation `conversationId` as the caller may use it: 401 signed out; 404 unless they are
 * an active participant and an active member of its (live) community. The identity carries the
 * members the caller blocked (their messages are left out) and, in a 1:1 with a block either way,
 * that sends are refused. Role is "member" for everyone: a community role gives no power over
 * others' messages in a DM. D1: one batch of three reads.
 */
export async function openConversation(env: Env, conversationId: string, reader: Reader): Promise<ConversationAccess> {
  const user = await requireReaderUser(reader);
  const c = schema.communities;
  const b = schema.blocks;
  const db = getDb(env);
  const [found, members, blocks] = await db.batch([
    db
      .select({ conversation: batchColumns(cv, "v"), community: batchColumns(c, "c"), membership: batchColumns(m, "m") })
      .from(cv)
      .innerJoin(c, and(eq(c.id, cv.communityId), isNull(c.deletedAt)))
      .innerJoin(cm, and(eq(cm.conversationId, cv.id), eq(cm.userId, user.id), isNull(cm.leftAt)))
      .innerJoin(m, and(eq(m.communityId, cv.communityId), eq(m.userId, user.id), eq(m.status, "active")))
      .where(eq(cv.id, conversationId))
      .limit(1),
    membersQuery(env, sql`${conversationId}`),
    db
      .select({ blocker: b.blockerId, blocked: b.blockedId })
      .from(b)
      .where(and(sql`${b.communityId} = (select ${cv.communityId} from ${cv} where ${cv.id} = ${conversationId})`, or(eq(b.blockerId, user.id), eq(b.blockedId, user.id)))),
  ]);
  const [row] = found;
  if (!row) throw notFound("No such conversation.");
  const session = await reader.session(); // already read by requireReaderUser: no second query
  const participants = members.filter((p) => p.shown).map((p) => ({ id: p.id, name: p.name, online: false }));
  const others = new Set(participants.filter((p) => p.id !== user.id).map((p) => p.id));
  const hidden = blocks.filter((r) => r.blocker === user.id).map((r) => r.blocked).sort();
  // a 1:1, or a group down to two: with a block between the two, no new messages either way
  // and with no one else left in it (gone from the community), nobody would read what is sent
  const sendRefused = others.size === 0 || ((row.conversation.kind === "direct" || others.size === 1) && blocks.some((r) => others.has(r.blocker === user.id ? r.blocked : r.blocker)));
  const identity: Identity = {
    userId: user.id,
    userName: user.name,
    role: "member",
    epoch: row.community.accessEpoch,
    communityId: row.community.id,
    channelId: row.conversation.id,
    ...(hidden.length ? { hiddenAuthors: hidden } : {}),
    ...(sendRefused ? { sendRefused } : {}),
    ...(session?.sessionId ? { session: sessionTag(session.sessionId) } : {}),
  };
  return { conversation: row.conversation, community: row.community, membership: row.membership, userId: user.id, members: participants, participantIds: members.map((p) => p.id), identity };
}

/** The API's view of a conversation. */
export function conversationView(conversation: Conversation, members: ConversationMember[]): ConversationView {
  return { id: conversation.id, kind: conversation.kind, name: conversation.name, members, createdAt: conversation.createdAt.toISOString() };
}

/**
 * Start a conversation with `memberIds` (the caller is added): the same set of members reaches
 * the same conversation — `created` false (200) for one that exists, also when two creates race
 * (the unique member key: an insert that lost the race writes nothing, and both read the winner's
 * row in the same batch). 400 for nobody else, more than MAX_CONVERSATION_MEMBERS people, someone
 * who is not an active member, or a name on a 1:1; 403 dm_not_allowed when a block or a member's
 * DM policy refuses a new conversation (blocks.ts assertMayStartDm). D1: two reads and a batch.
 */
export async function createConversation(
  env: Env,
  access: MemberAccess,
  /** `name` as the schema's NameField cleaned it */
  input: { memberIds: string[]; name?: string | null },
): Promise<{ conversation: ConversationView; created: boolean }> {
  const me = access.membership.userId;
  const ids = [...new Set([me, ...input.memberIds])];
  if (ids.length < 2) throw badRequest("Name at least one other member.", { issues: [{ path: "memberIds", message: "Nobody else.", code: "too_small" }] });
  if (ids.length > MAX_CONVERSATION_MEMBERS) {
    throw badRequest(`A conversation has at most ${MAX_CONVERSATION_MEMBERS} members, you included.`, { issues: [{ path: "memberIds", message: `At most ${MAX_CONVERSATION_MEMBERS} members.`, code: "too_big" }] });
  }
  const kind = ids.length === 2 ? "direct" : "group";
  const name = input.name ?? null;
  if (kind === "direct" && name !== null) throw badRequest("A 1:1 conversation has no name.", { issues: [{ path: "name", message: "Only a group has a name.", code: "invalid_value" }] });
  const key = memberKey(ids);
  const communityId = access.community.id;
  const db = getDb(env);
  const [memberships, existing] = await db.batch([
    db
      .select({ membership: m })
      .from(m)
      .innerJoin(u, and(eq(u.id, m.userId), isNull(u.deletedAt)))
      .where(and(eq(m.communityId, communityId), inArray(m.userId, ids), eq(m.status, "active"))),
    db.select().from(cv).where(and(eq(cv.communityId, communityId), eq(cv.memberKey, key))).limit(1),
  ]);
  if (memberships.length !== ids.length) {
    throw badRequest("Everyone in a conversation must be a member of this community.", { issues: [{ path: "memberIds", message: "Not a member.", code: "invalid_value" }] });
  }
  if (existing[0]) return { conversation: conversationView(existing[0], await membersOf(env, existing[0].id)), created: false };
  const recipients = memberships.filter((r) => r.membership.userId !== me).map((r) => ({ userId: r.membership.userId, membership: r.membership }));
  await assertMayStartDm(env, { ...access, userId: me }, recipients);
  const id = newId("dm");
  // each member only when the row above was written: a create that lost the race adds no one to the winner's
  const ours = sql`exists (select 1 from ${cv} where ${cv.id} = ${id})`;
  const results = await db.batch([
    db.insert(cv).values({ id, communityId, kind, memberKey: key, name, createdBy: me }).onConflictDoNothing(),
    ...ids.map((userId) => db.insert(cm).select(rowWhere(cm, { conversationId: id, userId }, ours))),
    db.select().from(cv).where(and(eq(cv.communityId, communityId), eq(cv.memberKey, key))).limit(1),
  ]);
  const [row] = results[results.length - 1] as Conversation[];
  return { conversation: conversationView(row, await membersOf(env, row.id)), created: row.id === id };
}

async function membersOf(env: Env, conversationId: string): Promise<ConversationMember[]> {
  const rows = await membersQuery(env, [conversationId]);
  return rows.filter((r) => r.shown).map((r) => ({ id: r.id, name: r.name, online: false }));
}

const ListCursor = z.tuple([z.number().int(), z.string().max(80)]);

/**
 * The caller's conversations in the community, the latest activity first (its last message, else
 * when it was made), 30 a page after the opaque `cursor`, each with its last message and unread
 * count read from chat_heads and chat_reads (which the channel objects mirror: unread =
 * max(0, message_count − read_count − messages of members they blocked or deleted: blocks.ts skippedUnread)),
 * and `unreadTotal` over all of them. D1: one batch of two
 * reads, then one for the members.
 */
export async function listConversations(
  env: Env,
  access: MemberAccess,
  page: { cursor?: string | null; limit?: number },
): Promise<{ items: ConversationListItem[]; nextCursor: string | null; unreadTotal: number }> {
  const me = access.membership.userId;
  const limit = Math.min(Math.max(page.limit ?? 30, 1), 100);
  const after = decodeCursor(page.cursor, ListCursor);
  const h = schema.chatHeads;
  const r = schema.chatReads;
  const db = getDb(env);
  const activity = sql<number>`coalesce(${h.lastMessageAt}, ${cv.createdAt})`;
  const unread = sql<number>`max(0, coalesce(${h.messageCount}, 0) - coalesce(${r.readCount}, 0) - ${skippedUnread(cv.id, me, r.readSeq)})`;
  const mine = and(eq(cv.communityId, access.community.id), isNull(cm.leftAt));
  const base = () =>
    db
      .select({
        conversation: batchColumns(cv, "v"),
        lastSeq: h.lastSeq,
        lastMessageAt: h.lastMessageAt,
        lastExcerpt: h.lastExcerpt,
        lastAuthorId: h.lastAuthorId,
        activity: activity.as("activity"),
        unread: unread.as("unread"),
      })
      .from(cm)
      .innerJoin(cv, eq(cv.id, cm.conversationId))
      .leftJoin(h, eq(h.channelId, cv.id))
      .leftJoin(r, and(eq(r.channelId, cv.id), eq(r.userId, me)));
  const [rows, [total]] = await db.batch([
    base()
      .where(and(eq(cm.userId, me), mine, after ? or(lt(activity, after[0]), and(eq(activity, after[0]), lt(cv.id, after[1]))) : undefined))
      .orderBy(desc(activity), desc(cv.id))
      .limit(limit + 1),
    db
      .select({ total: sql<number>`coalesce(sum(${unread}), 0)` })
      .from(cm)
      .innerJoin(cv, eq(cv.id, cm.conversationId))
      .leftJoin(h, eq(h.channelId, cv.id))
      .leftJoin(r, and(eq(r.channelId, cv.id), eq(r.userId, me)))
      .where(and(eq(cm.userId, me), mine)),
  ]);
  const shown = rows.slice(0, limit);
  const [members, hiddenList] = await Promise.all([
    shown.length ? membersQuery(env, shown.map((row) => row.conversation.id)) : Promise.resolve([]),
    hiddenAuthorsOf(env, access.community.id, me),
  ]);
  // the last message of someone the caller blocked is not shown to them (ADR 033)
  const hidden = new Set(hiddenList);
  const byConversation = new Map<string, ConversationMember[]>();
  for (const p of members) {
    if (!p.shown) continue;
    const list = byConversation.get(p.conversationId) ?? [];
    list.push({ id: p.id, name: p.name, online: false });
    byConversation.set(p.conversationId, list);
  }
  const items = shown.map((row): ConversationListItem => ({
    ...conversationView(row.conversation, byConversation.get(row.conversation.id) ?? []),
    // a last message by someone the caller blocked is not theirs to see: no last line at all
    lastMessage:
      row.lastMessageAt && row.lastSeq && !(row.lastAuthorId && hidden.has(row.lastAuthorId))
        ? { excerpt: row.lastExcerpt ?? "", authorId: row.lastAuthorId, at: row.lastMessageAt.toISOString(), seq: row.lastSeq }
        : null,
    unread: Number(row.unread),
  }));
  const last = shown.at(-1);
  return { items, nextCursor: rows.length > limit && last ? encodeCursor([Number(last.activity), last.conversation.id]) : null, unreadTotal: Number(total?.total ?? 0) };
}

/** Rename a group (any participant) to `name` (NameField-cleaned; null clears it): 400 on a 1:1. D1: one write. */
export async function renameConversation(env: Env, access: ConversationAccess, name: string | null): Promise<ConversationView> {
  if (access.conversation.kind === "direct") throw badRequest("A 1:1 conversation has no name.", { issues: [{ path: "name", message: "Only a group has a name.", code: "invalid_value" }] });
  await getDb(env).update(cv).set({ name }).where(eq(cv.id, access.conversation.id));
  return conversationView({ ...access.conversation, name }, access.members);
}

/**
 * Leave a group: 409 for a 1:1 (it cannot be left). The group's member key becomes the new set,
 * or null when another conversation already has that set or two people are left (theirs is a 1:1's); the leaver's sockets in it close (4403)
 * and the object refuses them from now on. D1: one batch.
 */
export async function leaveConversation(env: Env, access: ConversationAccess): Promise<void> {
  if (access.conversation.kind === "direct") throw conflict("A 1:1 conversation cannot be left.");
  const id = access.conversation.id;
  const rest = access.participantIds.filter((id) => id !== access.userId);
  const key = memberKey(rest);
  const db = getDb(env);
  await db.batch([
    db.update(cm).set({ leftAt: new Date() }).where(and(eq(cm.conversationId, id), eq(cm.userId, access.userId), isNull(cm.leftAt))),
    db
      .update(cv)
      .set({
        // a group down to two is still a group: "Message" between those two starts a fresh 1:1
        memberKey:
          rest.length < 3
            ? null
            : sql`case when exists (select 1 from ${cv} other where other.community_id = ${access.community.id} and other.member_key = ${key} and other.id <> ${id}) then null else ${key} end`,
      })
      .where(eq(cv.id, id)),
  ]);
  // one past the community's epoch: every identity of the leaver checked until now is refused here
  const epoch = await currentAccessEpoch(env, access.community.id);
  await channelStub(env, id).revoke(access.userId, epoch + 1);
}

/** The conversations `userId` takes part in now within a community, id → name ("" unnamed): search's DM scope. D1: one read. */
export async function conversationNamesOf(env: Env, communityId: string, userId: string): Promise<Map<string, string>> {
  const rows = await getDb(env)
    .select({ id: cv.id, name: cv.name })
    .from(cm)
    .innerJoin(cv, eq(cv.id, cm.conversationId))
    .where(and(eq(cm.userId, userId), eq(cv.communityId, communityId), isNull(cm.leftAt)));
  return new Map(rows.map((r) => [r.id, r.name ?? ""]));
}

/** What GET /dm-settings answers. */
export type DmSettings = { policy: DmPolicy };
