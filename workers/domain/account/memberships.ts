// The caller's own memberships, as the account pages and the consent screen list them.
import { and, asc, eq, isNull } from "drizzle-orm";
import { getDb, schema } from "../../db/client";
import type { Role, TierKey } from "../../db/schema";
import { effectiveTier } from "../access";

export type CommunityRef = { id: string; slug: string; name: string };
export type OwnMembership = { community: CommunityRef; role: Role; tier: TierKey; joinedAt: Date };

/** Active memberships in communities that still exist, oldest first. */
export async function activeMemberships(env: Env, userId: string): Promise<OwnMembership[]> {
  const rows = await getDb(env)
    .select({
      id: schema.communities.id,
      slug: schema.communities.slug,
      name: schema.communities.name,
      role: schema.memberships.role,
      paidTier: schema.memberships.paidTier,
      compTier: schema.memberships.compTier,
      joinedAt: schema.memberships.joinedAt,
    })
    .from(schema.memberships)
    .innerJoin(schema.communities, eq(schema.communities.id, schema.memberships.communityId))
    .where(
      and(
        eq(schema.memberships.userId, userId),
        eq(schema.memberships.status, "active"),
        isNull(schema.communities.deletedAt),
      ),
    )
    .orderBy(asc(schema.memberships.joinedAt));
  return rows.map((r) => ({
    community: { id: r.id, slug: r.slug, name: r.name },
    role: r.role,
    tier: effectiveTier(r),
    joinedAt: r.joinedAt,
  }));
}
