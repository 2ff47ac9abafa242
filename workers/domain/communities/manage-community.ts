// Settings, deletion and ownership transfer of a community, and the public directory.
import { communityPermissions } from "../permissions";
import { and, desc, eq, isNull, sql } from "drizzle-orm";
import { getDb, schema } from "../../db/client";
import { badRequest, conflict, notFound } from "../../lib/errors";
import { auditInsert } from "../audit";
import type { CommunityAccess } from "../access";
import { assertCommunityLive, commitAccessWrite, writeCommunityDeletion, writeOwnershipTransfer } from "../access-changes";
import { runBatch } from "./batch";
import type { CommunityLocale } from "./locales";
import type { ActiveAccess, Page, PageRequest } from "./types";
import { communityView, toCommunityView, type CommunityView } from "./views";
import { olderThan } from "../paging";

const activeMemberCount = sql<number>`(select count(*) from memberships m where m.community_id = ${schema.communities.id} and m.status = 'active')`;

export async function listPublicCommunities(
  env: Env,
  page: PageRequest,
): Promise<Page<CommunityView>> {
  const db = getDb(env);
  const c = schema.communities;
  const after = page.after;
  const rows = await db
    .select({ community: c, memberCount: activeMemberCount })
    .from(c)
    .where(
      and(
        eq(c.visibility, "public"),
        isNull(c.deletedAt),
        olderThan(after, c.createdAt, c.id),
      ),
    )
    .orderBy(desc(c.createdAt), desc(c.id))
    .limit(page.limit + 1);
  const items = rows.slice(0, page.limit).map((r) => toCommunityView(r.community, Number(r.memberCount)));
  const last = rows.length > page.limit ? rows[page.limit - 1].community : null;
  return { items, next: last ? [last.createdAt.getTime(), last.id] : null };
}

export async function viewCommunity(env: Env, access: CommunityAccess) {
  return {
    community: await communityView(getDb(env), access.community),
    viewer: access.role && access.tier ? { role: access.role, tier: access.tier, permissions: communityPermissions(access) } : null,
  };
}

export type CommunityChanges = {
  name?: string;
  description?: string;
  defaultLocale?: CommunityLocale;
  visibility?: "private" | "public";
};

export async function updateCommunity(env: Env, access: ActiveAccess, changes: CommunityChanges): Promise<CommunityView> {
  const db = getDb(env);
  const current = access.community;
  const changed: Partial<Record<keyof CommunityChanges, { from: string; to: string }>> = {};
  for (const key of ["name", "description", "defaultLocale", "visibility"] as const) {
    const next = changes[key];
    if (next !== undefined && next !== current[key]) changed[key] = { from: current[key], to: next };
  }
  if (Object.keys(changed).length === 0) return communityView(db, current);

  const set = Object.fromEntries(Object.entries(changed).map(([k, v]) => [k, v.to])) as CommunityChanges;
  await runBatch(db, [
    db.update(schema.communities).set(set).where(eq(schema.communities.id, current.id)),
    auditInsert(env, {
      communityId: current.id,
      actorId: access.membership.userId,
      action: "community.update",
      targetType: "community",
      targetId: current.id,
      data: { changes: changed },
    }),
  ]);
  return communityView(db, { ...current, ...set });
}

export async function deleteCommunity(env: Env, access: ActiveAccess): Promise<void> {
  const id = access.community.id;
  const audit = { communityId: id, actorId: access.membership.userId, action: "community.delete", targetType: "community", targetId: id };
  await commitAccessWrite(env, writeCommunityDeletion(env, id, audit));
}

export async function transferOwnership(env: Env, access: ActiveAccess, targetUserId: string): Promise<CommunityView> {
  const db = getDb(env);
  const community = access.community;
  const actorId = access.membership.userId;
  if (targetUserId === actorId) throw badRequest("You already own this community.", {
    issues: [{ path: "userId", message: "Choose another member", code: "choose_another_member" }],
  });
  const m = schema.memberships;
  const [target] = await db
    .select()
    .from(m)
    .where(and(eq(m.communityId, community.id), eq(m.userId, targetUserId), eq(m.status, "active")))
    .limit(1);
  if (!target) throw notFound("That person is not an active member of this community.");

  const audit = {
    communityId: community.id,
    actorId,
    action: "community.transfer",
    targetType: "user",
    targetId: targetUserId,
    data: { from: actorId, to: targetUserId },
  };
  const moved = await commitAccessWrite(env, writeOwnershipTransfer(env, community.id, actorId, targetUserId, audit));
  if (moved.length === 0) {
    await assertCommunityLive(env, community.id);
    throw conflict("The community changed meanwhile; try again.", { reason: "changed_meanwhile" });
  }
  return communityView(db, { ...community, ownerId: targetUserId });
}
