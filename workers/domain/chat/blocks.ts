// Who may message whom (ADR 033): each member's DM policy (memberships.dm_policy) and the blocks
// between members of a community. A refused DM answers 403 `dm_not_allowed` with one message that
// says neither which member nor which rule refused it. A block also hides the blocked member's
// messages from the blocker, in chat spaces and DMs: the Worker passes the blocker's list to the
// channel objects with their identity (channels.ts), and closes the blocker's sockets (4409) when
// the list changes, so they reconnect with the new one.
import { and, eq, inArray, isNull, sql } from "drizzle-orm";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";
import { getDb, schema } from "../../db/client";
import type { DmPolicy } from "../../db/schema";
import { DomainError, badRequest, notFound } from "../../lib/errors";
import { effectiveTier, hasRole, type MemberAccess } from "../access";
import { spaceVisibility } from "../discussions/access";
import { writeDmPolicy } from "../access-changes";
import { MAX_HIDDEN_AUTHORS } from "../../../durable-objects/protocol";
import { DM_NOT_ALLOWED } from "./object-side";
import { inChunks } from "../readable";
import { channelStub } from "./channels";

const b = schema.blocks;
const m = schema.memberships;

/** 403 dm_not_allowed: the one answer for every refused DM (ADR 033). */
export const dmNotAllowed = () => new DomainError(403, "dm_not_allowed", DM_NOT_ALLOWED);

/**
 * The members `userId` blocked in the community, at most MAX_HIDDEN_AUTHORS (the oldest blocks
 * first): whose messages they are not shown. D1: one read by the blocks primary key.
 */
export async function hiddenAuthorsOf(env: Env, communityId: string, userId: string): Promise<string[]> {
  if (!userId) return [];
  const rows = await getDb(env)
    .select({ id: b.blockedId })
    .from(b)
    .where(and(eq(b.communityId, communityId), eq(b.blockerId, userId)))
    .orderBy(b.createdAt)
    .limit(MAX_HIDDEN_AUTHORS);
  return rows.map((r) => r.id).sort();
}

/** Those of `userIds` who blocked `blockedId` in the community: they hear nothing of what it does (notifications). D1: one read per 90. */
export async function blockersAmong(env: Env, communityId: string, blockedId: string, userIds: string[]): Promise<Set<string>> {
  const rows = await inChunks(userIds, (part) =>
    getDb(env)
      .select({ id: b.blockerId })
      .from(b)
      .where(and(eq(b.communityId, communityId), eq(b.blockedId, blockedId), inArray(b.blockerId, part))),
  );
  return new Set(rows.map((r) => r.id));
}

/** Whether a block stands between any two of `userIds`. D1: one read. */
async function blockAmong(env: Env, communityId: string, userIds: string[]): Promise<boolean> {
  if (userIds.length < 2) return false;
  const [row] = await getDb(env)
    .select({ id: b.blockerId })
    .from(b)
    .where(and(eq(b.communityId, communityId), inArray(b.blockerId, userIds), inArray(b.blockedId, userIds)))
    .limit(1);
  return row !== undefined;
}

/**
 * Whether `sender` may start a DM with each of `recipients` (active members, ids and memberships):
 * no block either way (not even for moderators: a block means no new DM between the two), then
 * each recipient's policy — `everyone`, `shared_space` (a space both may read now; the community's
 * open spaces count), `nobody` — which moderators and up pass regardless. Throws 403
 * dm_not_allowed. D1: one read for blocks; two more only when someone asks for a shared space.
 */
export async function assertMayStartDm(env: Env, sender: MemberAccess & { userId: string }, recipients: Array<{ userId: string; membership: typeof m.$inferSelect }>): Promise<void> {
  const communityId = sender.community.id;
  // a block between any two of the people (the sender's, or two others' a third person adds): no new DM holds both
  if (await blockAmong(env, communityId, [sender.userId, ...recipients.map((r) => r.userId)])) throw dmNotAllowed();
  if (hasRole(sender.role, "moderator")) return;
  if (recipients.some((r) => r.membership.dmPolicy === "nobody")) throw dmNotAllowed();
  const picky = recipients.filter((r) => r.membership.dmPolicy === "shared_space");
  if (picky.length === 0) return;
  const s = schema.spaces;
  const sm = schema.spaceMembers;
  const db = getDb(env);
  const ids = [sender.userId, ...picky.map((r) => r.userId)];
  const [spaces, listings] = await db.batch([
    db.select({ id: s.id, private: s.private, minTier: s.minTier, archivedAt: s.archivedAt }).from(s).where(and(eq(s.communityId, communityId), isNull(s.archivedAt))),
    db
      .select({ spaceId: sm.spaceId, userId: sm.userId })
      .from(sm)
      .innerJoin(s, eq(s.id, sm.spaceId))
      .where(and(eq(s.communityId, communityId), inArray(sm.userId, ids))),
  ]);
  const listed = new Set(listings.map((l) => `${l.spaceId} ${l.userId}`));
  const reads = (space: (typeof spaces)[number], userId: string, membership: typeof m.$inferSelect) =>
    spaceVisibility(space, { community: sender.community, role: membership.role, tier: effectiveTier(membership) }, listed.has(`${space.id} ${userId}`)) === "open";
  for (const r of picky) {
    if (!spaces.some((space) => reads(space, sender.userId, sender.membership) && reads(space, r.userId, r.membership))) throw dmNotAllowed();
  }
}

/** The caller's DM policy in the community. */
export function dmPolicyOf(access: MemberAccess): DmPolicy {
  return access.membership.dmPolicy;
}

/** Set the caller's DM policy (it applies to conversations started from now on). D1: one write. */
export async function setDmPolicy(env: Env, access: MemberAccess, policy: DmPolicy): Promise<DmPolicy> {
  await writeDmPolicy(env, { communityId: access.community.id, userId: access.membership.userId }, policy);
  return policy;
}

/** A block as the API shows it. */
export type BlockView = { user: { id: string; name: string }; createdAt: string };

/** The members the caller blocked in the community, newest first (at most MAX_HIDDEN_AUTHORS). D1: one read. */
export async function listBlocks(env: Env, access: MemberAccess): Promise<BlockView[]> {
  const u = schema.users;
  const rows = await getDb(env)
    .select({ id: b.blockedId, name: u.name, createdAt: b.createdAt })
    .from(b)
    .innerJoin(u, eq(u.id, b.blockedId))
    .where(and(eq(b.communityId, access.community.id), eq(b.blockerId, access.membership.userId)))
    .orderBy(b.createdAt)
    .limit(MAX_HIDDEN_AUTHORS);
  return rows.reverse().map((r) => ({ user: { id: r.id, name: r.name }, createdAt: r.createdAt.toISOString() }));
}

/**
 * Block a member of the community: 400 for oneself or past MAX_HIDDEN_AUTHORS blocks, 404 for
 * someone who is not a member (active or not: a block outlives a membership, so a member who left
 * can be blocked before they come back — but only someone who was ever a member). Idempotent (200
 * either way). Then the blocker's sockets close with 4409 (refreshSockets).
 */
export async function blockMember(env: Env, access: MemberAccess, blockedId: string): Promise<BlockView> {
  const me = access.membership.userId;
  if (blockedId === me) throw badRequest("You cannot block yourself.", { issues: [{ path: "userId", message: "That is you.", code: "invalid_value" }] });
  const db = getDb(env);
  const u = schema.users;
  const [target] = await db
    .select({ id: u.id, name: u.name })
    .from(m)
    .innerJoin(u, and(eq(u.id, m.userId), isNull(u.deletedAt)))
    .where(and(eq(m.communityId, access.community.id), eq(m.userId, blockedId)))
    .limit(1);
  if (!target) throw notFound("No such member.");
  const count = (await hiddenAuthorsOf(env, access.community.id, me)).length;
  if (count >= MAX_HIDDEN_AUTHORS) throw badRequest(`You can block at most ${MAX_HIDDEN_AUTHORS} members.`, { issues: [{ path: "userId", message: "Too many blocks.", code: "too_big" }] });
  const [row] = await db
    .insert(b)
    .values({ communityId: access.community.id, blockerId: me, blockedId })
    .onConflictDoUpdate({ target: [b.communityId, b.blockerId, b.blockedId], set: { blockerId: me } })
    .returning({ createdAt: b.createdAt });
  await refreshSockets(env, access.community.id, me, blockedId);
  return { user: target, createdAt: row.createdAt.toISOString() };
}

/** Take a block back (204 whether or not there was one); when there was, the blocker's sockets close with 4409. */
export async function unblockMember(env: Env, access: MemberAccess, blockedId: string): Promise<void> {
  const me = access.membership.userId;
  const db = getDb(env);
  const x = schema.chatHidden;
  const [removed] = await db.batch([
    db
      .delete(b)
      .where(and(eq(b.communityId, access.community.id), eq(b.blockerId, me), eq(b.blockedId, blockedId)))
      .returning({ id: b.blockedId }),
    // their messages count as unread again, as they show again
    db.delete(x).where(and(eq(x.userId, me), eq(x.authorId, blockedId), eq(x.communityId, access.community.id))),
  ]);
  if (removed.length > 0) await refreshSockets(env, access.community.id, me, blockedId);
}

/**
 * After a block changed: the blocker's sockets in every chat space and conversation of the
 * community, and the other member's in the 1:1 they share (whose sends a block refuses), close
 * with 4409 so they reconnect with the new facts. One object call per channel; failures are logged
 * (the block stands; a socket left open keeps the old view until it reconnects).
 */
async function refreshSockets(env: Env, communityId: string, blockerId: string, blockedId: string): Promise<void> {
  const s = schema.spaces;
  const cm = schema.conversationMembers;
  const cv = schema.conversations;
  const db = getDb(env);
  const [spaces, conversations] = await db.batch([
    db.select({ id: s.id }).from(s).where(and(eq(s.communityId, communityId), eq(s.kind, "chat"), isNull(s.archivedAt))),
    db
      .select({ id: cv.id })
      .from(cm)
      .innerJoin(cv, eq(cv.id, cm.conversationId))
      .where(and(eq(cm.userId, blockerId), eq(cv.communityId, communityId), isNull(cm.leftAt))),
  ]);
  const calls: Array<Promise<unknown>> = [...spaces, ...conversations].map((ch) => channelStub(env, ch.id).refresh(blockerId));
  const shared = await sharedDirect(env, communityId, blockerId, blockedId);
  if (shared) calls.push(channelStub(env, shared).refresh(blockedId));
  const results = await Promise.allSettled(calls);
  for (const r of results) if (r.status === "rejected") console.error(JSON.stringify({ at: "blocks.refresh", error: String(r.reason) }));
}

/** The 1:1 conversation of two members in a community, if they have one (its member key). D1: one read. */
export async function sharedDirect(env: Env, communityId: string, a: string, b2: string): Promise<string | null> {
  const cv = schema.conversations;
  const [row] = await getDb(env)
    .select({ id: cv.id })
    .from(cv)
    .where(and(eq(cv.communityId, communityId), eq(cv.kind, "direct"), eq(cv.memberKey, memberKey([a, b2]))))
    .limit(1);
  return row?.id ?? null;
}

/** A conversation's member key: its active members' ids, sorted, joined by "," (ADR 033). */
export const memberKey = (userIds: string[]) => [...new Set(userIds)].sort().join(",");

/**
 * How many of a channel's messages past `readSeq` unread counts leave out for `userId`: those
 * written by someone they blocked (chat_hidden) and those deleted (chat_deleted, tombstones of a
 * deletion or an erasure; their chat_hidden rows are gone, so none counts twice). Two correlated
 * counts over the tables' primary keys.
 */
export function skippedUnread(channelId: SQLiteColumn | string, userId: string | SQLiteColumn, readSeq: SQLiteColumn) {
  const x = schema.chatHidden;
  const d = schema.chatDeleted;
  return sql<number>`((select count(*) from ${x} where ${x.channelId} = ${channelId} and ${x.userId} = ${userId} and ${x.seq} > coalesce(${readSeq}, 0))
    + (select count(*) from ${d} where ${d.channelId} = ${channelId} and ${d.seq} > coalesce(${readSeq}, 0)))`;
}
