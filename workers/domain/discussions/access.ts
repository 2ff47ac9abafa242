// Who may see and do what in a space, a post and a comment (ARCHITECTURE.md "Access rules").
// Every space-scoped route goes through openSpace/openPost/openComment:
// - 404 when the space is missing or archived, the community is private and the caller is not a
//   member, or the space is private and the caller is not listed in it;
// - 403 tier_required when the caller's effective tier is below the space's min_tier;
// - admins and the owner bypass both the private list and the tier (moderators do not);
// - signed-out callers and non-members may read a public community's open spaces, never write.
import { and, eq, isNull, sql } from "drizzle-orm";
import { getDb, schema } from "../../db/client";
import type { Role, TierKey } from "../../db/schema";
import { forbidden, notFound, tierRequired, unauthenticated } from "../../lib/errors";
import { effectiveTier, hasRole, hasTier, type CommunityAccess, type Membership } from "../access";

export type Space = typeof schema.spaces.$inferSelect;
export type Post = typeof schema.posts.$inferSelect;
export type Comment = typeof schema.comments.$inferSelect;

export type SpaceVisibility = "open" | "locked" | "hidden";

export type SpaceAccess = CommunityAccess & { space: Space; userId: string | null };
export type MemberSpaceAccess = SpaceAccess & { userId: string; membership: Membership; role: Role };
export type Mode = "read" | "write";
export type SpaceAccessFor<M extends Mode> = M extends "write" ? MemberSpaceAccess : SpaceAccess;

/** The space facts the visibility rules read. */
export type SpaceRules = Pick<Space, "archivedAt" | "private" | "minTier">;
/** The reader facts they read: a CommunityAccess is one; search and notifications build their own. */
export type ReaderRules = { community: { visibility: "public" | "private" }; role: Role | null; tier: TierKey | null };

/**
 * The one statement of the space rules, for the route guards, the space list, search and
 * notification fan-out alike. hidden: the reader may not know it exists; locked: listed but above
 * their tier. `role` is null for anyone who is not an active member: a listing left over from a
 * lapsed membership opens nothing, and a non-member of a public community reads like a free member.
 */
export function spaceVisibility(space: SpaceRules, reader: ReaderRules, listedInSpace: boolean): SpaceVisibility {
  if (space.archivedAt) return "hidden";
  if (reader.community.visibility === "private" && !reader.role) return "hidden";
  const admin = hasRole(reader.role, "admin");
  if (space.private && !admin && !(listedInSpace && reader.role)) return "hidden";
  if (!admin && space.minTier !== "free" && !hasTier(reader.tier, space.minTier)) return "locked";
  return "open";
}

export const canModerate = (access: CommunityAccess) => hasRole(access.role, "moderator");

export function assertRole<A extends MemberSpaceAccess>(access: A, atLeast: Role): A {
  if (!hasRole(access.role, atLeast)) throw forbidden(`This needs the ${atLeast} role or higher.`);
  return access;
}

/**
 * The space, its community, the caller's active membership and whether they are listed in the
 * space, in one statement: a feed or post read pays one round trip for its access check.
 */
async function loadSpaceAccess(env: Env, spaceId: string, userId: string | null): Promise<(SpaceAccess & { listed: boolean }) | null> {
  const m = schema.memberships;
  const sm = schema.spaceMembers;
  const s = schema.spaces;
  const [found] = await getDb(env)
    .select({ space: s, community: schema.communities, membership: m, listed: sql<number>`${sm.userId} is not null` })
    .from(s)
    .innerJoin(schema.communities, and(eq(schema.communities.id, s.communityId), isNull(schema.communities.deletedAt)))
    // "" matches no user: a signed-out caller gets no membership and no listing
    .leftJoin(m, and(eq(m.communityId, s.communityId), eq(m.userId, userId ?? ""), eq(m.status, "active")))
    .leftJoin(sm, and(eq(sm.spaceId, s.id), eq(sm.userId, userId ?? "")))
    .where(eq(s.id, spaceId))
    .limit(1);
  if (!found) return null;
  const membership = found.membership;
  return {
    community: found.community,
    space: found.space,
    membership,
    role: membership?.role ?? null,
    tier: membership ? effectiveTier(membership) : null,
    userId,
    listed: Number(found.listed) === 1,
  };
}

/** The space as the caller may use it, or the 401/403/404 that says why not. */
export async function openSpace<M extends Mode>(env: Env, spaceId: string, userId: string | null, mode: M): Promise<SpaceAccessFor<M>> {
  if (mode === "write" && !userId) throw unauthenticated();
  const found = await loadSpaceAccess(env, spaceId, userId);
  if (!found) throw notFound("No such space.");
  const { listed, ...access } = found;
  const visibility = spaceVisibility(access.space, access, listed);
  if (visibility === "hidden") throw notFound("No such space.");
  if (visibility === "locked") throw tierRequired(access.space.minTier);
  if (mode === "write" && !access.membership) throw forbidden("Join this community first.");
  return access as SpaceAccessFor<M>;
}

/** The reader facts the content rule reads: a SpaceAccess is one, so is search's Viewer. */
export type ContentReader = { userId: string | null; role: Role | null };

/**
 * The one statement of the content rule: deleted content is shown to no one; hidden and
 * pending-review content only to its author and to moderators and up.
 */
export const canSeeContent = (
  reader: ContentReader,
  item: { authorId: string; hiddenAt: Date | null; moderationStatus: string; deletedAt?: Date | null },
) =>
  !item.deletedAt &&
  ((item.hiddenAt === null && item.moderationStatus === "visible") ||
    (reader.userId !== null && item.authorId === reader.userId) ||
    hasRole(reader.role, "moderator"));

export type PostAccess<M extends Mode> = SpaceAccessFor<M> & { post: Post };

export async function openPost<M extends Mode>(env: Env, postId: string, userId: string | null, mode: M): Promise<PostAccess<M>> {
  if (mode === "write" && !userId) throw unauthenticated();
  const [post] = await getDb(env).select().from(schema.posts).where(eq(schema.posts.id, postId)).limit(1);
  if (!post || post.deletedAt) throw notFound("No such post.");
  const access = await openSpace(env, post.spaceId, userId, mode);
  if (!canSeeContent(access, post)) throw notFound("No such post.");
  return Object.assign(access, { post });
}

export type CommentAccess<M extends Mode> = PostAccess<M> & { comment: Comment };

export async function openComment<M extends Mode>(
  env: Env,
  commentId: string,
  userId: string | null,
  mode: M,
): Promise<CommentAccess<M>> {
  if (mode === "write" && !userId) throw unauthenticated();
  const [comment] = await getDb(env).select().from(schema.comments).where(eq(schema.comments.id, commentId)).limit(1);
  if (!comment || comment.deletedAt) throw notFound("No such comment.");
  const access = await openPost(env, comment.postId, userId, mode);
  if (!canSeeContent(access, comment)) throw notFound("No such comment.");
  return Object.assign(access, { comment });
}
