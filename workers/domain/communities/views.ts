// The JSON shapes the API answers with, built from rows. Times leave the domain as ISO strings.
import { and, count, eq } from "drizzle-orm";
import type { Db } from "../../db/client";
import { schema } from "../../db/client";
import type { Role, TierKey } from "../../db/schema";
import { effectiveTier, type Community, type Membership } from "../access";
import { asCommunityLocale, type CommunityLocale } from "./locales";

export type CommunityView = {
  id: string;
  slug: string;
  name: string;
  description: string;
  defaultLocale: CommunityLocale;
  visibility: "private" | "public";
  ownerId: string;
  memberCount: number;
  createdAt: string;
};

export type MembershipView = {
  communityId: string;
  userId: string;
  role: Role;
  tier: TierKey;
  paidTier: TierKey;
  compTier: TierKey | null;
  status: Membership["status"];
  joinedAt: string;
  source: string | null;
};

export type UserRef = { id: string; name: string };
export type UserCard = UserRef & { avatarUrl: string | null };

export const toCommunityView = (c: Community, memberCount: number): CommunityView => ({
  id: c.id,
  slug: c.slug,
  name: c.name,
  description: c.description,
  defaultLocale: asCommunityLocale(c.defaultLocale),
  visibility: c.visibility,
  ownerId: c.ownerId,
  memberCount,
  createdAt: c.createdAt.toISOString(),
});

export const toMembershipView = (m: Membership): MembershipView => ({
  communityId: m.communityId,
  userId: m.userId,
  role: m.role,
  tier: effectiveTier(m),
  paidTier: m.paidTier,
  compTier: m.compTier,
  status: m.status,
  joinedAt: m.joinedAt.toISOString(),
  source: m.source,
});

export async function countActiveMembers(db: Db, communityId: string): Promise<number> {
  const [row] = await db
    .select({ n: count() })
    .from(schema.memberships)
    .where(and(eq(schema.memberships.communityId, communityId), eq(schema.memberships.status, "active")));
  return row?.n ?? 0;
}

export async function communityView(db: Db, c: Community): Promise<CommunityView> {
  return toCommunityView(c, await countActiveMembers(db, c.id));
}
