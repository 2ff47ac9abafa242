// Who may see and do what in a space, a post and a comment (ARCHITECTURE.md "Access rules").
// Every space-scoped route goes through openSpace/openPost/openComment:
// - 404 when the space is missing or archived, the community is private and the caller is not a
//   member, or the space is private and the caller is not listed in it;
// - 403 tier_required when the caller's effective tier is below the space's min_tier;
// - admins and the owner bypass both the private list and the tier (moderators do not);
// - signed-out callers and non-members may read a public community's open spaces, never write.
import { and, eq, isNull, sql, type SQL, type SQLWrapper } from "drizzle-orm";
import { batchColumns, getDb, schema } from "../../db/client";
import type { Role, TierKey } from "../../db/schema";
import { forbidden, notFound, tierRequired, unauthenticated } from "../../lib/errors";
import { effectiveTier, hasRole, hasTier, type CommunityAccess, type Membership } from "../access";
import { readerIdSql, type Reader, type ReaderShape } from "../auth/reader";
import { template } from "../../db/templates";

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
 * space, in one statement. `spaceId` may be SQL (the space of a post or comment looked up in the
 * same statement) and `userId` is the reader's id as SQL (auth/reader.ts), so a post read pays one
 * round trip for the session, the post and its access check together.
 */
export function spaceAccessQuery(env: Env, spaceId: string | SQLWrapper, userId: SQL) {
  const m = schema.memberships;
  const sm = schema.spaceMembers;
  const s = schema.spaces;
  return getDb(env)
    .select({
      space: batchColumns(s, "s"),
      community: batchColumns(schema.communities, "c"),
      membership: m,
      listed: sql<number>`${sm.userId} is not null`.as("listed"),
    })
    .from(s)
    .innerJoin(schema.communities, and(eq(schema.communities.id, s.communityId), isNull(schema.communities.deletedAt)))
    .leftJoin(m, and(eq(m.communityId, s.communityId), eq(m.userId, userId), eq(m.status, "active")))
    .leftJoin(sm, and(eq(sm.spaceId, s.id), eq(sm.userId, userId)))
    .where(eq(s.id, spaceId))
    .limit(1);
}

/** What spaceAccessQuery found, as the caller may use it, or the 401/403/404 that says why not. */
export function settleSpaceAccess<M extends Mode>(
  rows: Awaited<ReturnType<typeof spaceAccessQuery>>,
  userId: string | null,
  mode: M,
  /** what a 404 says is missing: a post in a space the caller may not know of is "no such post" */
  what: "space" | "post" | "comment" = "space",
): SpaceAccessFor<M> {
  if (mode === "write" && !userId) throw unauthenticated();
  const [found] = rows;
  if (!found) throw notFound(`No such ${what}.`);
  const membership = found.membership;
  const access: SpaceAccess = {
    community: found.community,
    space: found.space,
    membership,
    role: membership?.role ?? null,
    tier: membership ? effectiveTier(membership) : null,
    userId,
  };
  const visibility = spaceVisibility(access.space, access, Number(found.listed) === 1);
  if (visibility === "hidden") throw notFound(`No such ${what}.`);
  if (visibility === "locked") throw tierRequired(access.space.minTier);
  if (mode === "write" && !access.membership) throw forbidden("Join this community first.");
  return access as SpaceAccessFor<M>;
}

/**
 * spaceAccessQuery as templates (db/templates.ts) for the three ways a route names its space: by
 * id, by a post, by a comment (placeholder `target`), each for either reader shape.
 */
type Target = "space" | "post" | "comment";
const p = schema.posts;
const cm = schema.comments;
const target = sql.placeholder("target");
const postOfComment = sql`(select ${cm.postId} from ${cm} where ${cm.id} = ${target})`;
const spaceOfPost = (postId: SQLWrapper) => sql`(select ${p.spaceId} from ${p} where ${p.id} = ${postId})`;
const spaceOf: Record<Target, SQLWrapper> = { space: target, post: spaceOfPost(target), comment: spaceOfPost(postOfComment) };

export const spaceAccess = template((env: Env, shape: `${ReaderShape}:${Target}`) => {
  const [who, of] = shape.split(":") as [ReaderShape, Target];
  return spaceAccessQuery(env, spaceOf[of], readerIdSql(who));
}, { constants: ["active", 1] }); // the membership's status, limit 1
const postRow = template((env: Env, of: "post" | "comment") =>
  getDb(env)
    .select()
    .from(p)
    .where(eq(p.id, of === "post" ? target : postOfComment))
    .limit(1),
  { constants: [1] },
);
const commentRow = template((env: Env, _shape: "comment") => getDb(env).select().from(cm).where(eq(cm.id, target)).limit(1), { constants: [1] });

/** The space as the caller may use it, or the 401/403/404 that says why not. */
export async function openSpace<M extends Mode>(env: Env, spaceId: string, reader: Reader, mode: M): Promise<SpaceAccessFor<M>> {
  const values = { ...reader.placeholders(), target: spaceId };
  const { userId, results } = await reader.runBound([spaceAccess(env, `${reader.shape}:space`, values)] as const);
  return settleSpaceAccess(results[0], userId, mode);
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

function settlePost<M extends Mode>(
  posts: Post[],
  rows: Awaited<ReturnType<typeof spaceAccessQuery>>,
  userId: string | null,
  mode: M,
  what: "post" | "comment" = "post",
): PostAccess<M> {
  if (mode === "write" && !userId) throw unauthenticated();
  const [post] = posts;
  if (!post || post.deletedAt) throw notFound(`No such ${what}.`);
  const access = settleSpaceAccess(rows, userId, mode, what);
  if (!canSeeContent(access, post)) throw notFound(`No such ${what}.`);
  return Object.assign(access, { post });
}

/** The post, its space and the caller's access to it: one round trip, the session included. */
export async function openPost<M extends Mode>(env: Env, postId: string, reader: Reader, mode: M): Promise<PostAccess<M>> {
  const values = { ...reader.placeholders(), target: postId };
  const { userId, results } = await reader.runBound([postRow(env, "post", values), spaceAccess(env, `${reader.shape}:post`, values)] as const);
  return settlePost(results[0], results[1], userId, mode);
}

export type CommentAccess<M extends Mode> = PostAccess<M> & { comment: Comment };

/** The comment, its post, their space and the caller's access: one round trip, as openPost. */
export async function openComment<M extends Mode>(
  env: Env,
  commentId: string,
  reader: Reader,
  mode: M,
): Promise<CommentAccess<M>> {
  const values = { ...reader.placeholders(), target: commentId };
  const { userId, results } = await reader.runBound([
    commentRow(env, "comment", values),
    postRow(env, "comment", values),
    spaceAccess(env, `${reader.shape}:comment`, values),
  ] as const);
  if (mode === "write" && !userId) throw unauthenticated();
  const [comment] = results[0];
  if (!comment || comment.deletedAt) throw notFound("No such comment.");
  const access = settlePost(results[1], results[2], userId, mode, "comment");
  if (!canSeeContent(access, comment)) throw notFound("No such comment.");
  return Object.assign(access, { comment });
}
