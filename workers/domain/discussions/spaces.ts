// Spaces of a community: create, edit, archive, private member lists, order, the caller's list
// (with locked spaces) and follows. Admin actions write the audit log in the same batch.
import { closeArchivedChannel } from "../chat/channels";
import { spacePermissions } from "../permissions";
import { and, asc, eq, inArray, isNull, sql } from "drizzle-orm";
import { getDb, schema, type Db } from "../../db/client";
import type { TierKey } from "../../db/schema";
import { chunk } from "../../lib/chunk";
import { badRequest, conflict, notFound } from "../../lib/errors";
import { newId } from "../../lib/ids";
import { auditInsert, auditInsertIfChanged } from "../audit";
import type { CommunityAccess } from "../access";
import { runBatch } from "../communities/batch";
import type { ActiveAccess } from "../communities/types";
import type { UserCard } from "../communities/views";
import { announceEvents, eventInsert } from "../events/emit";
import { assertCommunityLive, commitAccessWrite, writeSpaceCreation, writeSpaceMemberRemoval, writeSpaceMembersAddition, writeSpaceUpdate } from "../access-changes";
import { spaceVisibility, type MemberSpaceAccess, type Space, type SpaceAccess } from "./access";
import { authorColumns, toAuthor, toSpaceView, type SpaceView } from "./views";

const s = schema.spaces;
const p = schema.posts;

// a statement binds the space id or community id too: stay under D1's 100 bound parameters
const USER_CHUNK = 45;

type SpaceStats = { following: Set<string>; newPosts: Map<string, number> };

/** Follows and "new since your last visit" counts of the caller, for a community's spaces. */
async function spaceStats(db: Db, communityId: string, userId: string | null, spaceId?: string): Promise<SpaceStats> {
  if (!userId) return { following: new Set(), newPosts: new Map() };
  const f = schema.spaceFollows;
  const v = schema.spaceVisits;
  const [follows, counts] = await db.batch([
    db
      .select({ spaceId: f.spaceId })
      .from(f)
      .innerJoin(s, eq(s.id, f.spaceId))
      .where(and(eq(f.userId, userId), eq(s.communityId, communityId), spaceId ? eq(s.id, spaceId) : undefined)),
    db
      .select({ spaceId: p.spaceId, n: sql<number>`count(*)` })
      .from(p)
      .leftJoin(v, and(eq(v.spaceId, p.spaceId), eq(v.userId, userId)))
      .where(
        and(
          eq(p.communityId, communityId),
          spaceId ? eq(p.spaceId, spaceId) : undefined,
          isNull(p.deletedAt),
          isNull(p.hiddenAt),
          eq(p.moderationStatus, "visible"),
          sql`${p.seq} > coalesce(${v.lastSeenSeq}, 0)`,
        ),
      )
      .groupBy(p.spaceId),
  ]);
  return {
    following: new Set(follows.map((r) => r.spaceId)),
    newPosts: new Map(counts.map((r) => [r.spaceId, Number(r.n)])),
  };
}

const viewWith = (space: Space, stats: SpaceStats, locked = false): SpaceView =>
  toSpaceView(space, { following: stats.following.has(space.id), newPosts: locked ? 0 : (stats.newPosts.get(space.id) ?? 0) });

export async function spaceView(env: Env, access: SpaceAccess): Promise<SpaceView> {
  const stats = await spaceStats(getDb(env), access.community.id, access.userId, access.space.id);
  return viewWith(access.space, stats);
}

/** GET /spaces/{id}: the space and what the caller may do in it (`viewer.permissions`). */
export async function readSpace(env: Env, access: SpaceAccess) {
  return { space: await spaceView(env, access), viewer: { permissions: spacePermissions(access, access.space) } };
}

/** The ids that are not active members of the community (to refuse them with a 400). */
async function notMembers(db: Db, communityId: string, userIds: string[]): Promise<string[]> {
  const m = schema.memberships;
  const found = new Set<string>();
  for (const part of chunk([...new Set(userIds)], USER_CHUNK)) {
    const rows = await db
      .select({ userId: m.userId })
      .from(m)
      .where(and(eq(m.communityId, communityId), eq(m.status, "active"), inArray(m.userId, part)));
    for (const r of rows) found.add(r.userId);
  }
  return userIds.filter((id) => !found.has(id));
}

async function assertMembers(db: Db, communityId: string, userIds: string[], path: string) {
  const missing = await notMembers(db, communityId, userIds);
  if (missing.length > 0) {
    throw badRequest("Everyone listed must be an active member of the community.", {
      issues: [{ path, message: `Not members: ${missing.join(", ")}`, code: "not_members" }],
    });
  }
}

export type NewSpace = {
  name: string;
  description?: string;
  kind: Space["kind"];
  minTier: TierKey;
  private?: boolean;
  memberIds?: string[];
};

export async function createSpace(env: Env, access: ActiveAccess, input: NewSpace): Promise<SpaceView> {
  const db = getDb(env);
  const communityId = access.community.id;
  const memberIds = input.memberIds ?? [];
  if (memberIds.length > 0) await assertMembers(db, communityId, memberIds, "memberIds");
  const id = newId("spc");
  const space = {
    id,
    communityId,
    kind: input.kind,
    name: input.name,
    description: input.description ?? "",
    minTier: input.minTier,
    private: input.private ?? false,
    // new spaces go last
    position: sql<number>`(select coalesce(max(${s.position}), -1) + 1 from ${s} where ${s.communityId} = ${communityId})`,
    createdBy: access.membership.userId,
  };
  const audit = {
    communityId,
    actorId: access.membership.userId,
    action: "space.create",
    targetType: "space",
    targetId: id,
    data: { name: input.name, kind: input.kind, minTier: input.minTier, private: input.private ?? false, members: new Set(memberIds).size },
  };
  const inserted = await commitAccessWrite(env, writeSpaceCreation(env, space, memberIds, audit));
  // written only while the community stands: one deleted meanwhile is gone for this request too
  if (!inserted[0]) throw notFound("No such community.");
  return toSpaceView(inserted[0], { following: false, newPosts: 0 });
}

export type SpaceChanges = { name?: string; description?: string; minTier?: TierKey; private?: boolean; position?: number };

export async function updateSpace(env: Env, access: MemberSpaceAccess, changes: SpaceChanges): Promise<SpaceView> {
  const current = access.space;
  const changed: Record<string, { from: unknown; to: unknown }> = {};
  for (const key of ["name", "description", "minTier", "private", "position"] as const) {
    const next = changes[key];
    if (next !== undefined && next !== current[key]) changed[key] = { from: current[key], to: next };
  }
  if (Object.keys(changed).length === 0) return spaceView(env, access);
  const set = Object.fromEntries(Object.entries(changed).map(([k, v]) => [k, v.to])) as SpaceChanges;
  const audit = { communityId: current.communityId, actorId: access.userId, action: "space.update", targetType: "space", targetId: current.id, data: { changes: changed } };
  const updated = await commitAccessWrite(env, writeSpaceUpdate(env, current, set, audit));
  if (!updated[0]) {
    await assertCommunityLive(env, current.communityId);
    throw conflict("The space was archived meanwhile.", { reason: "space_archived" });
  }
  return spaceView(env, { ...access, space: updated[0] });
}

export async function archiveSpace(env: Env, access: MemberSpaceAccess): Promise<void> {
  const db = getDb(env);
  const space = access.space;
  // its posts leave search in one step, whatever the space's size (the spine's search handler);
  // notifications about them are filtered at read time (domain/readable.ts), and queued new-post
  // notices find no readers. Audit and event only if this request archived it.
  const event = eventInsert(
    env,
    { kind: "space.archived", communityId: space.communityId, subject: { type: "space", id: space.id }, payload: { spaceId: space.id, communityId: space.communityId } },
    { ifChanged: true },
  );
  await db.batch([
    db
      .update(s)
      .set({ archivedAt: new Date() })
      .where(and(eq(s.id, space.id), isNull(s.archivedAt))),
    auditInsertIfChanged(env, {
      communityId: space.communityId,
      actorId: access.userId,
      action: "space.archive",
      targetType: "space",
      targetId: space.id,
      data: { name: space.name },
    }),
    event.statement,
  ]);
  await announceEvents(env, [event.id]);
  // a chat space's sockets close now; the spine's handler is the retry
  if (space.kind === "chat") await closeArchivedChannel(env, space.id).catch((error) => console.error(JSON.stringify({ at: "chat.archive", spaceId: space.id, error: String(error) })));
}

export type SpaceMemberView = { user: UserCard; addedAt: string };

export async function listSpaceMembers(env: Env, access: SpaceAccess): Promise<SpaceMemberView[]> {
  const rows = await getDb(env)
    .select({ author: authorColumns, addedAt: schema.spaceMembers.addedAt })
    .from(schema.spaceMembers)
    .innerJoin(schema.users, eq(schema.users.id, schema.spaceMembers.userId))
    .where(eq(schema.spaceMembers.spaceId, access.space.id))
    .orderBy(asc(schema.spaceMembers.addedAt), asc(schema.spaceMembers.userId));
  return rows.map((r) => ({ user: toAuthor(r.author), addedAt: r.addedAt.toISOString() }));
}

function assertPrivate(space: Space) {
  if (!space.private) throw conflict("Only a private space has a member list; everyone with the tier sees this one.");
}

export async function addSpaceMembers(env: Env, access: MemberSpaceAccess, userIds: string[]): Promise<SpaceMemberView[]> {
  assertPrivate(access.space);
  await assertMembers(getDb(env), access.community.id, userIds, "userIds");
  const audit = {
    communityId: access.community.id,
    actorId: access.userId,
    action: "space.members_add",
    targetType: "space",
    targetId: access.space.id,
    data: { userIds: [...new Set(userIds)] },
  };
  await commitAccessWrite(env, writeSpaceMembersAddition(env, access.space, userIds, audit));
  return listSpaceMembers(env, access);
}

export async function removeSpaceMember(env: Env, access: MemberSpaceAccess, userId: string): Promise<void> {
  assertPrivate(access.space);
  const spaceId = access.space.id;
  const audit = { communityId: access.community.id, actorId: access.userId, action: "space.member_remove", targetType: "user", targetId: userId, data: { spaceId } };
  await commitAccessWrite(env, writeSpaceMemberRemoval(env, access.space, userId, audit));
}

export type SpaceListItem = { space: SpaceView; locked: boolean; /** chat spaces, signed in: unread count (chat/inbox.ts withUnread) */ unread?: number };

async function communitySpaces(db: Db, communityId: string): Promise<Space[]> {
  return db
    .select()
    .from(s)
    .where(and(eq(s.communityId, communityId), isNull(s.archivedAt)))
    .orderBy(asc(s.position), asc(s.createdAt), asc(s.id));
}

/** The spaces the caller may know of, by position; those above their tier come back locked. */
export async function listSpaces(env: Env, access: CommunityAccess, userId: string | null): Promise<SpaceListItem[]> {
  const db = getDb(env);
  const communityId = access.community.id;
  const [spaces, listed, stats] = await Promise.all([
    communitySpaces(db, communityId),
    userId
      ? db
          .select({ spaceId: schema.spaceMembers.spaceId })
          .from(schema.spaceMembers)
          .innerJoin(s, eq(s.id, schema.spaceMembers.spaceId))
          .where(and(eq(schema.spaceMembers.userId, userId), eq(s.communityId, communityId)))
      : Promise.resolve([]),
    spaceStats(db, communityId, userId),
  ]);
  const listedIn = new Set(listed.map((r) => r.spaceId));
  const items: SpaceListItem[] = [];
  for (const space of spaces) {
    const visibility = spaceVisibility(space, access, listedIn.has(space.id));
    if (visibility === "hidden") continue;
    const locked = visibility === "locked";
    items.push({ space: viewWith(space, stats, locked), locked });
  }
  return items;
}

/**
 * Put the listed spaces first, in the given order; spaces left out (e.g. created meanwhile) keep
 * their relative order after them. Unknown or repeated ids are a 400.
 */
export async function reorderSpaces(env: Env, access: ActiveAccess, spaceIds: string[]): Promise<SpaceListItem[]> {
  const db = getDb(env);
  const communityId = access.community.id;
  const spaces = await communitySpaces(db, communityId);
  const known = new Set(spaces.map((space) => space.id));
  const unknown = spaceIds.filter((id) => !known.has(id));
  if (unknown.length > 0 || new Set(spaceIds).size !== spaceIds.length) {
    throw badRequest("List each of this community's spaces at most once.", {
      issues: [
        { path: "spaceIds", message: unknown.length > 0 ? `Unknown: ${unknown.join(", ")}` : "Repeated ids", code: unknown.length > 0 ? "unknown_ids" : "repeated_ids" },
      ],
    });
  }
  const listed = new Set(spaceIds);
  const order = [...spaceIds, ...spaces.filter((space) => !listed.has(space.id)).map((space) => space.id)];
  await runBatch(db, [
    ...order.map((id, position) =>
      db
        .update(s)
        .set({ position })
        .where(and(eq(s.id, id), eq(s.communityId, communityId))),
    ),
    auditInsert(env, {
      communityId,
      actorId: access.membership.userId,
      action: "space.reorder",
      targetType: "community",
      targetId: communityId,
      data: { spaceIds: order },
    }),
  ]);
  return listSpaces(env, access, access.membership.userId);
}

export async function setFollowing(env: Env, access: MemberSpaceAccess, following: boolean): Promise<SpaceView> {
  const db = getDb(env);
  const f = schema.spaceFollows;
  if (following) {
    await db.insert(f).values({ spaceId: access.space.id, userId: access.userId }).onConflictDoNothing();
  } else {
    await db.delete(f).where(and(eq(f.spaceId, access.space.id), eq(f.userId, access.userId)));
  }
  return spaceView(env, access);
}
