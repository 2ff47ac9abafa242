// Who may see and do what in a space, a post and a comment (ARCHITECTURE.md "Access rules").
// Every space-scoped route goes through openSpace/openPost/openComment:
// - 404 when the space is missing or archived, the community is private and the caller is not a
//   member, or the space is private and the caller is not listed in it;
// - 403 tier_required when the caller's effective tier is below the space's min_tier;
// - admins and the owner bypass both the private list and the tier (moderators do not);
// - signed-out callers and non-members may read a public community's open spaces, never write.
import { and, eq, isNull } from "drizzle-orm";
import { getDb, schema } from "../../db/client";
import type { Role } from "../../db/schema";
import { forbidden, notFound, tierRequired, unauthenticated } from "../../lib/errors";
import { effectiveTier, hasRole, hasTier, type CommunityAccess, type Membership } from "../access";
import { loadActiveMembership } from "../communities/members";

export type Space = typeof schema.spaces.$inferSelect;
export type Post = typeof schema.posts.$inferSelect;
export type Comment = typeof schema.comments.$inferSelect;

export type SpaceVisibility = "open" | "locked" | "hidden";

export type SpaceAccess = CommunityAccess & { space: Space; userId: string | null };
export type MemberSpaceAccess = SpaceAccess & { userId: string; membership: Membership; role: Role };
export type Mode = "read" | "write";
export type SpaceAccessFor<M extends Mode> = M extends "write" ? MemberSpaceAccess : SpaceAccess;

/** hidden: the caller may not know it exists; locked: listed but above their tier. */
export function spaceVisibility(space: Space, access: CommunityAccess, listedInSpace: boolean): SpaceVisibility {
  if (space.archivedAt) return "hidden";
  if (access.community.visibility === "private" && !access.membership) return "hidden";
  const admin = hasRole(access.role, "admin");
  if (space.private && !admin && !listedInSpace) return "hidden";
  if (!admin && space.minTier !== "free" && !hasTier(access.tier, space.minTier)) return "locked";
  return "open";
}

export const canModerate = (access: CommunityAccess) => hasRole(access.role, "moderator");

export function assertRole<A extends MemberSpaceAccess>(access: A, atLeast: Role): A {
  if (!hasRole(access.role, atLeast)) throw forbidden(`This needs the ${atLeast} role or higher.`);
  return access;
}

async function loadSpaceAccess(env: Env, spaceId: string, userId: string | null): Promise<SpaceAccess | null> {
  const db = getDb(env);
  const [found] = await db
    .select({ space: schema.spaces, community: schema.communities })
    .from(schema.spaces)
    .innerJoin(schema.communities, eq(schema.communities.id, schema.spaces.communityId))
    .where(and(eq(schema.spaces.id, spaceId), isNull(schema.communities.deletedAt)))
    .limit(1);
  if (!found) return null;
  const membership = userId ? await loadActiveMembership(env, found.community.id, userId) : null;
  return {
    community: found.community,
    space: found.space,
    membership,
    role: membership?.role ?? null,
    tier: membership ? effectiveTier(membership) : null,
    userId,
  };
}

export async function isListedInSpace(env: Env, spaceId: string, userId: string | null): Promise<boolean> {
  if (!userId) return false;
  const [row] = await getDb(env)
    .select({ userId: schema.spaceMembers.userId })
    .from(schema.spaceMembers)
    .where(and(eq(schema.spaceMembers.spaceId, spaceId), eq(schema.spaceMembers.userId, userId)))
    .limit(1);
  return Boolean(row);
}

/** The space as the caller may use it, or the 401/403/404 that says why not. */
export async function openSpace<M extends Mode>(env: Env, spaceId: string, userId: string | null, mode: M): Promise<SpaceAccessFor<M>> {
  if (mode === "write" && !userId) throw unauthenticated();
  const access = await loadSpaceAccess(env, spaceId, userId);
  if (!access) throw notFound("No such space.");
  const listed = access.space.private ? await isListedInSpace(env, spaceId, userId) : false;
  const visibility = spaceVisibility(access.space, access, listed);
  if (visibility === "hidden") throw notFound("No such space.");
  if (visibility === "locked") throw tierRequired(access.space.minTier);
  if (mode === "write" && !access.membership) throw forbidden("Join this community first.");
  return access as SpaceAccessFor<M>;
}

/** Hidden and pending-review content is shown only to its author and to moderators and up. */
export const canSeeContent = (
  access: SpaceAccess,
  item: { authorId: string; hiddenAt: Date | null; moderationStatus: Post["moderationStatus"] },
) => (item.hiddenAt === null && item.moderationStatus === "visible") || item.authorId === access.userId || canModerate(access);

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
