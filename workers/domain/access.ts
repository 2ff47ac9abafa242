// Who may see and do what in a community. Tier rank free < member < vip; role rank
// member < moderator < admin < owner. Used by every route through workers/api/guards.ts.
import { and, eq, isNull, sql, type SQL, type SQLWrapper } from "drizzle-orm";
import { batchColumns, getDb, schema } from "../db/client";
import { roleRank, tierRank, type Role, type TierKey } from "../db/schema";
import { readerIdSql, type Reader, type ReaderShape, type SessionUser } from "./auth/reader";
import { forbidden, notFound, unauthenticated } from "../lib/errors";
import { template } from "../db/templates";

export type Community = typeof schema.communities.$inferSelect;
export type Membership = typeof schema.memberships.$inferSelect;

export type CommunityAccess = {
  community: Community;
  /** the caller's active membership, or null */
  membership: Membership | null;
  role: Role | null;
  tier: TierKey | null;
};

export function effectiveTier(m: Pick<Membership, "paidTier" | "compTier">): TierKey {
  const comp = m.compTier ?? "free";
  return tierRank[comp] > tierRank[m.paidTier] ? comp : m.paidTier;
}

export const hasRole = (role: Role | null, atLeast: Role) => role !== null && roleRank[role] >= roleRank[atLeast];
export const hasTier = (tier: TierKey | null, atLeast: TierKey) => tier !== null && tierRank[tier] >= tierRank[atLeast];

/** The community and the caller's active membership: one statement, since every route asks. */
export function communityAccessQuery(env: Env, slug: string | SQLWrapper, userId: SQL) {
  const m = schema.memberships;
  return getDb(env)
    .select({ community: batchColumns(schema.communities, "c"), membership: m })
    .from(schema.communities)
    .leftJoin(m, and(eq(m.communityId, schema.communities.id), eq(m.userId, userId), eq(m.status, "active")))
    .where(and(eq(schema.communities.slug, slug), isNull(schema.communities.deletedAt)))
    .limit(1);
}

export function toCommunityAccess(rows: Awaited<ReturnType<typeof communityAccessQuery>>): CommunityAccess | null {
  const [found] = rows;
  if (!found) return null;
  const membership = found.membership;
  return {
    community: found.community,
    membership,
    role: membership?.role ?? null,
    tier: membership ? effectiveTier(membership) : null,
  };
}

/** communityAccessQuery as a template (db/templates.ts): placeholder `slug` and the reader's. */
export const communityAccess = template((env: Env, shape: ReaderShape) =>
  communityAccessQuery(env, sql.placeholder("slug"), readerIdSql(shape)),
  { constants: ["active", 1] }, // the membership's status, limit 1
);

/** The community as `reader` sees it; the session, if still unread, comes in the same round trip. */
export async function loadCommunityAccess(env: Env, slug: string, reader: Reader): Promise<CommunityAccess | null> {
  const { results } = await reader.runBound([communityAccess(env, reader.shape, { ...reader.placeholders(), slug })] as const);
  return toCommunityAccess(results[0]);
}

/** 404 unless the community exists and, when private, the caller is an active member. */
export function visibleCommunity(access: CommunityAccess | null): CommunityAccess {
  if (!access) throw notFound("No such community.");
  if (access.community.visibility === "private" && !access.membership) throw notFound("No such community.");
  return access;
}

export type MemberAccess = CommunityAccess & { membership: NonNullable<CommunityAccess["membership"]>; role: Role };

/** The signed-in user behind `reader`; throws 401 unauthenticated when signed out. */
export async function requireReaderUser(reader: Reader): Promise<SessionUser> {
  const user = await reader.user();
  if (!user) throw unauthenticated();
  return user;
}

/** The community as `reader` may see it (one round trip with the session); 404 as visibleCommunity. */
export async function openCommunity(env: Env, slug: string, reader: Reader): Promise<CommunityAccess> {
  return visibleCommunity(await loadCommunityAccess(env, slug, reader));
}

/** An active member of the community: 401 signed out, 404 as visibleCommunity, 403 for a non-member of a public one. */
export async function openMembership(env: Env, slug: string, reader: Reader): Promise<MemberAccess> {
  const found = await loadCommunityAccess(env, slug, reader);
  await requireReaderUser(reader); // 401 before 404; the session came in the community statement's batch
  const member = activeMember(visibleCommunity(found));
  if (!member) throw forbidden("Join this community first.");
  return member;
}

/** `access` when its role is at least `atLeast`; 403 forbidden otherwise. */
export function assertMemberRole(access: MemberAccess, atLeast: Role): MemberAccess {
  if (!hasRole(access.role, atLeast)) throw forbidden(`This needs the ${atLeast} role or higher.`);
  return access;
}

/** `access` as a member's (MemberAccess) when the reader is an active member there, else null. */
export const activeMember = (access: CommunityAccess): MemberAccess | null =>
  access.membership && access.role ? (access as MemberAccess) : null;
