// Membership use cases: the member list, role and comp-tier changes, removal, leaving and joining.
// Role rules: owner > admin > moderator > member; an actor acts only on people they outrank, only
// the owner makes or unmakes admins, and ownership moves only through transfer.
import { memberPermissions, type MemberPermission } from "../permissions";
import { and, asc, eq, gt, or, sql } from "drizzle-orm";
import { foldCase } from "../../lib/text";
import { getDb, schema } from "../../db/client";
import { roleRank, type Role, type TierKey } from "../../db/schema";
import { conflict, forbidden, notFound } from "../../lib/errors";
import type { AuditEntry } from "../audit";
import { effectiveTier, type CommunityAccess, type Membership } from "../access";
import { assertCommunityLive, commitAccessWrite, writeMemberUpdate, writeMembershipActivation, writeMembershipEnd, type Joining } from "../access-changes";
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
  /** what the caller may do to this member (domain/permissions.ts) */
  viewer: { permissions: MemberPermission[] };
  /** online in the community now (chat/inbox.ts withOnline; the member list only) */
  online?: boolean;
};

const m = schema.memberships;

/**
 * The community's active members in join order, `page.limit` a page after the keyset; with
 * `filter.q`, only those with a word of their name starting with it (folded: any case or script).
 * Admins and the owner also see source, comp and paid tier. D1: one read.
 */
export async function listMembers(
  env: Env,
  access: ActiveAccess,
  page: PageRequest,
  filter: { q?: string } = {},
): Promise<Page<MemberView>> {
  const db = getDb(env);
  const folded = filter.q ? foldCase(filter.q.trim()) : "";
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
        // a word of the name starts with what was typed ("chen" finds "Daniel Chen"), any case or script
        folded ? sql`instr(' ' || ${schema.users.nameFolded}, ${` ${folded}`}) > 0` : undefined,
        after ? or(gt(m.joinedAt, new Date(after[0])), and(eq(m.joinedAt, new Date(after[0])), gt(m.userId, after[1]))) : undefined,
      ),
    )
    .orderBy(asc(m.joinedAt), asc(m.userId))
    .limit(page.limit + 1);
  const items = rows.slice(0, page.limit).map(({ membership, user }): MemberView => {
    const base: MemberView = {
      user,
      role: membership.role,
      tier: effectiveTier(membership),
      joinedAt: membership.joinedAt.toISOString(),
      viewer: { permissions: memberPermissions(access, access.membership.userId, { userId: user.id, role: membership.role }) },
    };
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

  const set: MemberChanges = {};
  const audit: AuditEntry[] = [];
  if (roleChanges && changes.role) {
    set.role = changes.role;
    audit.push({
      communityId,
      actorId,
      action: "member.role_change",
      targetType: "user",
      targetId: targetUserId,
      data: { from: target.role, to: changes.role },
    });
  }
  if (compChanges && changes.compTier !== undefined) {
    set.compTier = changes.compTier;
    audit.push({
      communityId,
      actorId,
      action: changes.compTier === null ? "member.comp_revoke" : "member.comp_grant",
      targetType: "user",
      targetId: targetUserId,
      data: { from: target.compTier, to: changes.compTier },
    });
  }
  if (audit.length === 0) return toMembershipView(target);

  const updated = await commitAccessWrite(env, writeMemberUpdate(env, { communityId, userId: targetUserId, role: target.role }, set, audit));
  const row = updated[0];
  if (!row) {
    await assertCommunityLive(env, communityId);
    throw conflict("The membership changed meanwhile; try again.", { reason: "changed_meanwhile" });
  }
  return toMembershipView(row);
}

/** Remove (moderators: members; admins: moderators and members; nobody: the owner). */
export async function removeMember(env: Env, access: ActiveAccess, targetUserId: string): Promise<void> {
  const communityId = access.community.id;
  const target = await loadActiveMembership(env, communityId, targetUserId);
  if (!target) throw notFound("That person is not an active member of this community.");
  if (roleRank[access.role] <= roleRank[target.role]) {
    throw forbidden(target.role === "owner" ? "Nobody removes the owner." : "You can only remove people below your role.");
  }
  const audit = { communityId, actorId: access.membership.userId, action: "member.remove", targetType: "user", targetId: targetUserId, data: { role: target.role } };
  await commitAccessWrite(env, writeMembershipEnd(env, { communityId, userId: targetUserId }, { status: "removed", role: target.role }, audit));
}

export async function leaveCommunity(env: Env, access: ActiveAccess): Promise<void> {
  if (access.role === "owner") throw conflict("Transfer ownership first.");
  const communityId = access.community.id;
  const userId = access.membership.userId;
  const audit = { communityId, actorId: userId, action: "member.leave", targetType: "user", targetId: userId };
  await commitAccessWrite(env, writeMembershipEnd(env, { communityId, userId }, { status: "left" }, audit));
}

export async function isBanned(env: Env, communityId: string, userId: string): Promise<boolean> {
  const [ban] = await getDb(env)
    .select({ userId: schema.bans.userId })
    .from(schema.bans)
    .where(and(eq(schema.bans.communityId, communityId), eq(schema.bans.userId, userId)))
    .limit(1);
  return Boolean(ban);
}

/** How someone joins, and the audit row that records it. */
export type JoiningWithAudit = Joining & { auditAction: string; auditData?: Record<string, unknown> };

/**
 * Insert or reactivate a membership as a plain member (access-changes.ts writeMembershipActivation:
 * never over a ban, with the invite's use spent in the same batch). Returns the membership if it
 * is active now, or null: a ban landed meanwhile, or the invite ran out.
 */
export async function activateMembership(env: Env, communityId: string, userId: string, joining: JoiningWithAudit): Promise<Membership | null> {
  const { auditAction, auditData, ...how } = joining;
  const audit = { communityId, actorId: userId, action: auditAction, targetType: "user", targetId: userId, data: auditData };
  const [activated] = await commitAccessWrite(env, writeMembershipActivation(env, communityId, userId, how, audit));
  if (activated) return activated;
  // nothing changed: the community was deleted meanwhile (404), someone else activated them, or they are refused
  await assertCommunityLive(env, communityId);
  return loadActiveMembership(env, communityId, userId);
}

export async function joinCommunity(env: Env, access: CommunityAccess, userId: string): Promise<MembershipView> {
  if (access.membership) return toMembershipView(access.membership);
  const community = access.community;
  if (community.visibility !== "public") throw notFound("No such community.");
  const existing = await loadMembership(env, community.id, userId);
  if (existing?.status === "banned" || (await isBanned(env, community.id, userId))) {
    throw forbidden("You are banned from this community.");
  }
  const joined = await activateMembership(env, community.id, userId, { source: "direct", inviteCode: null, compTier: null, auditAction: "member.join" });
  if (!joined) throw forbidden("You cannot join this community.");
  return toMembershipView(joined);
}
