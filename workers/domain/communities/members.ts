// Membership use cases: the member list, role and comp-tier changes, removal, leaving and joining.
// Role rules: owner > admin > moderator > member; an actor acts only on people they outrank, only
// the owner makes or unmakes admins, and ownership moves only through transfer.
import { and, asc, eq, gt, ne, or, sql } from "drizzle-orm";
import { getDb, schema } from "../../db/client";
import { roleRank, type Role, type TierKey } from "../../db/schema";
import { conflict, forbidden, notFound } from "../../lib/errors";
import { auditInsert, auditInsertIfChanged } from "../audit";
import { effectiveTier, type CommunityAccess, type Membership } from "../access";
import { runBatch, type Statement } from "./batch";
import { essentialConsentInsert } from "./consent";
import type { ActiveAccess, Page, PageRequest } from "./types";
import { toMembershipView, type MembershipView, type UserCard } from "./views";

export type MemberView = {
  user: UserCard;
  role: Role;
  tier: TierKey;
  joinedAt: string;
  // only for admins and the owner
  source?: string | null;
  compTier?: TierKey | null;
  paidTier?: TierKey;
};

const m = schema.memberships;

export async function listMembers(
  env: Env,
  access: ActiveAccess,
  page: PageRequest,
): Promise<Page<MemberView>> {
  const db = getDb(env);
  const seesDetails = roleRank[access.role] >= roleRank.admin;
  const after = page.after;
  const rows = await db
    .select({ membership: m, user: { id: schema.users.id, name: schema.users.name, avatarUrl: schema.users.avatarUrl } })
    .from(m)
    .innerJoin(schema.users, eq(schema.users.id, m.userId))
    .where(
      and(
        eq(m.communityId, access.community.id),
        eq(m.status, "active"),
        after ? or(gt(m.joinedAt, new Date(after[0])), and(eq(m.joinedAt, new Date(after[0])), gt(m.userId, after[1]))) : undefined,
      ),
    )
    .orderBy(asc(m.joinedAt), asc(m.userId))
    .limit(page.limit + 1);
  const items = rows.slice(0, page.limit).map(({ membership, user }): MemberView => {
    const base: MemberView = { user, role: membership.role, tier: effectiveTier(membership), joinedAt: membership.joinedAt.toISOString() };
    return seesDetails
      ? { ...base, source: membership.source, compTier: membership.compTier, paidTier: membership.paidTier }
      : base;
  });
  const last = rows.length > page.limit ? rows[page.limit - 1].membership : null;
  return { items, next: last ? [last.joinedAt.getTime(), last.userId] : null };
}

async function loadMembership(env: Env, communityId: string, userId: string): Promise<Membership | null> {
  const [row] = await getDb(env)
    .select()
    .from(m)
    .where(and(eq(m.communityId, communityId), eq(m.userId, userId)))
    .limit(1);
  return row ?? null;
}

export async function loadActiveMembership(env: Env, communityId: string, userId: string): Promise<Membership | null> {
  const row = await loadMembership(env, communityId, userId);
  return row && row.status === "active" ? row : null;
}

export type MemberChanges = { role?: Exclude<Role, "owner">; compTier?: TierKey | null };

export async function updateMember(
  env: Env,
  access: ActiveAccess,
  targetUserId: string,
  changes: MemberChanges,
): Promise<MembershipView> {
  const db = getDb(env);
  const communityId = access.community.id;
  const actorId = access.membership.userId;
  const target = await loadActiveMembership(env, communityId, targetUserId);
  if (!target) throw notFound("That person is not an active member of this community.");

  const roleChanges = changes.role !== undefined && changes.role !== target.role;
  const compChanges = changes.compTier !== undefined && changes.compTier !== target.compTier;

  if (target.role === "owner" && changes.role !== undefined) {
    throw forbidden("The owner's role changes only by transferring ownership.");
  }
  if (target.role === "owner" && compChanges && access.role !== "owner") {
    throw forbidden("Only the owner changes the owner's membership.");
  }
  if (roleChanges && (changes.role === "admin" || target.role === "admin") && access.role !== "owner") {
    throw forbidden("Only the owner makes or unmakes admins.");
  }

  const set: Partial<Pick<Membership, "role" | "compTier">> = {};
  const statements: Statement[] = [];
  if (roleChanges && changes.role) {
    set.role = changes.role;
    statements.push(
      auditInsertIfChanged(env, {
        communityId,
        actorId,
        action: "member.role_change",
        targetType: "user",
        targetId: targetUserId,
        data: { from: target.role, to: changes.role },
      }),
    );
  }
  if (compChanges && changes.compTier !== undefined) {
    set.compTier = changes.compTier;
    statements.push(
      auditInsertIfChanged(env, {
        communityId,
        actorId,
        action: changes.compTier === null ? "member.comp_revoke" : "member.comp_grant",
        targetType: "user",
        targetId: targetUserId,
        data: { from: target.compTier, to: changes.compTier },
      }),
    );
  }
  if (statements.length === 0) return toMembershipView(target);

  // conditional on the role we checked, so a concurrent promotion cannot be overridden blindly
  const [updated] = await db.batch([
    db
      .update(m)
      .set(set)
      .where(and(eq(m.communityId, communityId), eq(m.userId, targetUserId), eq(m.status, "active"), eq(m.role, target.role)))
      .returning(),
    ...statements,
  ]);
  const row = updated[0];
  if (!row) throw conflict("The membership changed meanwhile; try again.");
  return toMembershipView(row);
}

/** Remove (moderators: members; admins: moderators and members; nobody: the owner). */
export async function removeMember(env: Env, access: ActiveAccess, targetUserId: string): Promise<void> {
  const db = getDb(env);
  const communityId = access.community.id;
  const target = await loadActiveMembership(env, communityId, targetUserId);
  if (!target) throw notFound("That person is not an active member of this community.");
  if (roleRank[access.role] <= roleRank[target.role]) {
    throw forbidden(target.role === "owner" ? "Nobody removes the owner." : "You can only remove people below your role.");
  }
  await runBatch(db, [
    db
      .update(m)
      .set({ status: "removed" })
      .where(and(eq(m.communityId, communityId), eq(m.userId, targetUserId), eq(m.status, "active"), eq(m.role, target.role))),
    auditInsertIfChanged(env, {
      communityId,
      actorId: access.membership.userId,
      action: "member.remove",
      targetType: "user",
      targetId: targetUserId,
      data: { role: target.role },
    }),
  ]);
}

export async function leaveCommunity(env: Env, access: ActiveAccess): Promise<void> {
  if (access.role === "owner") throw conflict("Transfer ownership first.");
  const db = getDb(env);
  const communityId = access.community.id;
  const userId = access.membership.userId;
  await runBatch(db, [
    db
      .update(m)
      .set({ status: "left" })
      .where(and(eq(m.communityId, communityId), eq(m.userId, userId), eq(m.status, "active"), ne(m.role, "owner"))),
    auditInsertIfChanged(env, { communityId, actorId: userId, action: "member.leave", targetType: "user", targetId: userId }),
  ]);
}

export async function isBanned(env: Env, communityId: string, userId: string): Promise<boolean> {
  const [ban] = await getDb(env)
    .select({ userId: schema.bans.userId })
    .from(schema.bans)
    .where(and(eq(schema.bans.communityId, communityId), eq(schema.bans.userId, userId)))
    .limit(1);
  return Boolean(ban);
}

export type Joining = {
  source: string;
  inviteCode: string | null;
  compTier: TierKey | null;
  auditAction: string;
  auditData?: Record<string, unknown>;
};

/**
 * Insert or reactivate a membership as a plain member, with the essential consent and an audit
 * row, in one batch. A banned row is never reactivated, even if a ban lands meanwhile. paid_tier
 * is left alone: billing webhooks own it.
 */
export async function activateMembership(env: Env, communityId: string, userId: string, joining: Joining): Promise<MembershipView> {
  const db = getDb(env);
  const now = new Date();
  await runBatch(db, [
    db
      .insert(m)
      .values({
        communityId,
        userId,
        role: "member",
        compTier: joining.compTier,
        status: "active",
        joinedAt: now,
        source: joining.source,
        inviteCode: joining.inviteCode,
      })
      .onConflictDoUpdate({
        target: [m.communityId, m.userId],
        set: {
          role: "member",
          compTier: joining.compTier,
          status: "active",
          joinedAt: now,
          source: joining.source,
          inviteCode: joining.inviteCode,
        },
        setWhere: sql`${m.status} not in ('active', 'banned')`,
      }),
    essentialConsentInsert(env, userId, communityId, now),
    auditInsert(env, {
      communityId,
      actorId: userId,
      action: joining.auditAction,
      targetType: "user",
      targetId: userId,
      data: joining.auditData,
    }),
  ]);
  const row = await loadMembership(env, communityId, userId);
  if (!row || row.status !== "active") throw forbidden("You cannot join this community.");
  return toMembershipView(row);
}

export async function joinCommunity(env: Env, access: CommunityAccess, userId: string): Promise<MembershipView> {
  if (access.membership) return toMembershipView(access.membership);
  const community = access.community;
  if (community.visibility !== "public") throw notFound("No such community.");
  const existing = await loadMembership(env, community.id, userId);
  if (existing?.status === "banned" || (await isBanned(env, community.id, userId))) {
    throw forbidden("You are banned from this community.");
  }
  return activateMembership(env, community.id, userId, {
    source: "direct",
    inviteCode: null,
    compTier: null,
    auditAction: "member.join",
  });
}
