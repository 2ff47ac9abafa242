// Who may see and do what in a community. Tier rank free < member < vip; role rank
// member < moderator < admin < owner. Used by every route through workers/api/guards.ts.
import { and, eq, isNull } from "drizzle-orm";
import { getDb, schema } from "../db/client";
import { roleRank, tierRank, type Role, type TierKey } from "../db/schema";

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
export async function loadCommunityAccess(env: Env, slug: string, userId: string | null): Promise<CommunityAccess | null> {
  const m = schema.memberships;
  const [found] = await getDb(env)
    .select({ community: schema.communities, membership: m })
    .from(schema.communities)
    // "" matches no user: a signed-out caller gets no membership
    .leftJoin(m, and(eq(m.communityId, schema.communities.id), eq(m.userId, userId ?? ""), eq(m.status, "active")))
    .where(and(eq(schema.communities.slug, slug), isNull(schema.communities.deletedAt)))
    .limit(1);
  if (!found) return null;
  const membership = found.membership;
  return {
    community: found.community,
    membership,
    role: membership?.role ?? null,
    tier: membership ? effectiveTier(membership) : null,
  };
}
