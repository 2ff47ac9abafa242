// Who may read which post or comment right now. Search and notifications keep pointers to
// content; access can change after they were written (a tier lapses, a space turns private,
// a post is hidden), so every pointer is checked again at read time, here, in batches.
//
// The rules themselves live once, in discussions/access.ts (spaceVisibility, canSeeContent), so
// the route guards and these batch checks cannot drift apart; this module only loads the facts
// for many pointers and readers at a time.
import { and, eq, inArray, isNull, sql, type SQL, type SQLWrapper } from "drizzle-orm";
import { getDb, schema } from "../db/client";
import { runBound, template } from "../db/templates";
import { chunk as chunkBy } from "../lib/chunk";
import { readerIdSql, type ReaderShape } from "./auth/reader";
import { type Role, type TierKey } from "../db/schema";
import { effectiveTier } from "./access";
import { canSeeContent, spaceVisibility } from "./discussions/access";

/** Ids per IN (...) list: D1 allows 100 bound parameters per statement, leave room for the rest. */
export const ID_CHUNK = 90;

/** `items` in parts of at most `size` ids (lib/chunk.ts), by default ID_CHUNK. */
export const chunk = <T>(items: T[], size = ID_CHUNK): T[][] => chunkBy(items, size);

const unique = <T>(items: Iterable<T>) => [...new Set(items)];

/** Run `query` over distinct `ids` a chunk at a time (in parallel) and join the rows. */
export async function inChunks<R>(ids: string[], query: (part: string[]) => Promise<R[]>): Promise<R[]> {
  return (await Promise.all(chunk(unique(ids)).map(query))).flat();
}

export type Viewer = {
  userId: string | null;
  role: Role | null;
  /** null for someone who is not an active member */
  tier: TierKey | null;
  /** private spaces the viewer is listed in */
  listedIn: Set<string>;
};

export type SpaceFacts = Pick<
  typeof schema.spaces.$inferSelect,
  "id" | "communityId" | "name" | "minTier" | "private" | "archivedAt"
>;
export type PostFacts = Pick<
  typeof schema.posts.$inferSelect,
  "id" | "communityId" | "spaceId" | "authorId" | "title" | "deletedAt" | "hiddenAt" | "moderationStatus" | "createdAt"
> & { authorName: string };
export type CommentFacts = Pick<
  typeof schema.comments.$inferSelect,
  "id" | "postId" | "authorId" | "parentId" | "deletedAt" | "hiddenAt" | "moderationStatus" | "createdAt"
> & { authorName: string };

/** The space rules of discussions/access.ts (open, locked or hidden), for a viewer that search and notifications built. */
export const viewerSpaceVisibility = (viewer: Viewer, space: SpaceFacts, communityPrivate: boolean) =>
  spaceVisibility(
    space,
    { community: { visibility: communityPrivate ? "private" : "public" }, role: viewer.role, tier: viewer.tier },
    viewer.listedIn.has(space.id),
  );

export const canReadSpace = (viewer: Viewer, space: SpaceFacts, communityPrivate: boolean): boolean =>
  viewerSpaceVisibility(viewer, space, communityPrivate) === "open";

type CommunityFacts = { id: string; private: boolean };

async function loadCommunity(env: Env, communityId: string): Promise<CommunityFacts | null> {
  const [row] = await getDb(env)
    .select({ id: schema.communities.id, visibility: schema.communities.visibility })
    .from(schema.communities)
    .where(and(eq(schema.communities.id, communityId), isNull(schema.communities.deletedAt)))
    .limit(1);
  return row ? { id: row.id, private: row.visibility === "private" } : null;
}

const spaceColumns = {
  id: schema.spaces.id,
  communityId: schema.spaces.communityId,
  name: schema.spaces.name,
  minTier: schema.spaces.minTier,
  private: schema.spaces.private,
  archivedAt: schema.spaces.archivedAt,
};

async function loadSpaces(env: Env, communityId: string, ids: string[]): Promise<Map<string, SpaceFacts>> {
  const db = getDb(env);
  const s = schema.spaces;
  const rows = await inChunks(ids, (part) =>
    db
      .select(spaceColumns)
      .from(s)
      .where(and(eq(s.communityId, communityId), inArray(s.id, part))),
  );
  return new Map(rows.map((r) => [r.id, r]));
}

/** Which of `userIds` are listed in which of the private `spaceIds`: "space:user" keys. */
async function loadListings(env: Env, spaceIds: string[], userIds: string[]): Promise<Set<string>> {
  if (spaceIds.length === 0 || userIds.length === 0) return new Set();
  const db = getDb(env);
  const sm = schema.spaceMembers;
  // both lists share one statement's parameters: few spaces (the usual case) leave room for many users
  const spaceParts = chunk(unique(spaceIds), 45);
  const userParts = chunk(unique(userIds), ID_CHUNK - Math.min(45, spaceIds.length));
  const rows = (
    await Promise.all(
      spaceParts.flatMap((sp) =>
        userParts.map((up) =>
          db
            .select({ spaceId: sm.spaceId, userId: sm.userId })
            .from(sm)
            .where(and(inArray(sm.spaceId, sp), inArray(sm.userId, up))),
        ),
      ),
    )
  ).flat();
  return new Set(rows.map((r) => `${r.spaceId}:${r.userId}`));
}

async function loadViewers(env: Env, communityId: string, userIds: string[]): Promise<Map<string, Viewer>> {
  const db = getDb(env);
  const m = schema.memberships;
  const rows = await inChunks(userIds, (part) =>
    db
      .select({ userId: m.userId, role: m.role, paidTier: m.paidTier, compTier: m.compTier })
      .from(m)
      .where(and(eq(m.communityId, communityId), eq(m.status, "active"), inArray(m.userId, part))),
  );
  return new Map(
    rows.map((r) => [r.userId, { userId: r.userId, role: r.role, tier: effectiveTier(r), listedIn: new Set<string>() }]),
  );
}

async function loadViewer(env: Env, communityId: string, userId: string | null): Promise<Viewer> {
  const anonymous: Viewer = { userId, role: null, tier: null, listedIn: new Set() };
  if (!userId) return anonymous;
  return (await loadViewers(env, communityId, [userId])).get(userId) ?? anonymous;
}

/** `ids` is a JSON array of ids (placeholder `ids`): one statement, one SQL text, any count. */
const idsParam = sql`(select value from json_each(${sql.placeholder("ids")}))`;

const postFacts = template((env: Env, _shape: "by-id") => {
  const p = schema.posts;
  return getDb(env)
    .select({
      id: p.id,
      communityId: p.communityId,
      spaceId: p.spaceId,
      authorId: p.authorId,
      title: p.title,
      deletedAt: p.deletedAt,
      hiddenAt: p.hiddenAt,
      moderationStatus: p.moderationStatus,
      createdAt: p.createdAt,
      authorName: schema.users.name,
    })
    .from(p)
    .innerJoin(schema.users, eq(schema.users.id, p.authorId))
    // by id alone: with the community in the WHERE too, SQLite may walk the community's
    // (community_id, seq) index instead of the id index — a scan of every post (bench/RESULTS.md)
    .where(inArray(p.id, idsParam));
});

const commentFacts = template((env: Env, _shape: "by-id") => {
  const c = schema.comments;
  return getDb(env)
    .select({
      id: c.id,
      postId: c.postId,
      authorId: c.authorId,
      parentId: c.parentId,
      deletedAt: c.deletedAt,
      hiddenAt: c.hiddenAt,
      moderationStatus: c.moderationStatus,
      createdAt: c.createdAt,
      authorName: schema.users.name,
      communityId: c.communityId,
    })
    .from(c)
    .innerJoin(schema.users, eq(schema.users.id, c.authorId))
    .where(inArray(c.id, idsParam));
});

/** Rows of one community only, by id: facts read by id alone must still belong to it. */
const byIdIn = <R extends { id: string; communityId: string }>(communityId: string, rows: R[]) =>
  new Map(rows.filter((r) => r.communityId === communityId).map((r) => [r.id, r]));

/** Posts and comments by id, as facts for the readable check. */
export type Facts = { posts: Map<string, PostFacts>; comments: Map<string, CommentFacts> };

/**
 * The two statements that read the facts of these posts and comments, for a batch of the
 * caller's (search reads them in its access batch); `toFacts` keeps those of one community.
 */
export const factsStatements = (env: Env, postIds: string[], commentIds: string[]) =>
  [
    postFacts(env, "by-id", { ids: JSON.stringify(unique(postIds)) }),
    commentFacts(env, "by-id", { ids: JSON.stringify(unique(commentIds)) }),
  ] as const;

export const toFacts = (communityId: string, posts: PostFacts[], comments: (CommentFacts & { communityId: string })[]): Facts => ({
  posts: byIdIn(communityId, posts),
  comments: byIdIn(communityId, comments),
});

/** The facts of posts and comments by id, in one D1 batch: one round trip. */
async function loadFacts(env: Env, communityId: string, postIds: string[], commentIds: string[]): Promise<Facts> {
  const [posts, comments] = await runBound(env, factsStatements(env, postIds, commentIds));
  return toFacts(communityId, posts, comments);
}

const loadComments = async (env: Env, communityId: string, ids: string[]) => (await loadFacts(env, communityId, [], ids)).comments;

/** A pointer to content: a post, or a comment (its post is looked up when not given). */
export type ContentRef = { postId?: string | null; commentId?: string | null };

export type ReadableItem<T extends ContentRef> = {
  ref: T;
  space: SpaceFacts;
  post: PostFacts;
  comment: CommentFacts | null;
};

/**
 * What one reader may see of one community: the community, the reader's membership, and every
 * space with the reader's listings, loaded once per request (a community has few spaces) so that
 * filtering a page of candidates costs only the post and comment lookups.
 */
export type ReaderScope = { communityId: string; communityPrivate: boolean; viewer: Viewer; spaces: Map<string, SpaceFacts> };

type KnownAccess = {
  community: { id: string; visibility: "private" | "public" };
  membership: { role: Role; paidTier: TierKey; compTier: TierKey | null } | null;
};

/** A community's spaces, each with whether `userId` is listed in it: one statement. */
export type ScopeSpaces = Array<SpaceFacts & { listed: boolean }>;

/**
 * The spaces of the community named by id or by slug, each with whether the reader (`userId`, a
 * bound id or the session's subquery: auth/reader.ts) is listed in it. By slug, a route reads
 * them in its guard's batch; they are discarded if the guard refuses.
 */
export function scopeSpacesQuery(env: Env, community: { id: string | SQLWrapper } | { slug: string | SQLWrapper }, userId: SQL) {
  const s = schema.spaces;
  const c = schema.communities;
  const sm = schema.spaceMembers;
  return getDb(env)
    .select({ ...spaceColumns, listed: sql<number>`${sm.userId} is not null`.as("listed") })
    .from(s)
    .innerJoin(
      c,
      and(eq(c.id, s.communityId), isNull(c.deletedAt), "id" in community ? eq(c.id, community.id) : eq(c.slug, community.slug)),
    )
    .leftJoin(sm, and(eq(sm.spaceId, s.id), eq(sm.userId, userId)));
}

/** scopeSpacesQuery by slug as a template (db/templates.ts): placeholder `slug` and the reader's. */
export const scopeSpacesBySlug = template((env: Env, shape: ReaderShape) =>
  scopeSpacesQuery(env, { slug: sql.placeholder("slug") }, readerIdSql(shape)),
);

export const toScopeSpaces = (rows: Awaited<ReturnType<typeof scopeSpacesQuery>>): ScopeSpaces =>
  rows.map((r) => ({ ...r, listed: Number(r.listed) === 1 }));

/**
 * `known`: the community and membership a route guard already loaded, and `spaces` what
 * scopeSpacesQuery read in the same batch, so neither is read again.
 */
export async function loadReaderScope(
  env: Env,
  userId: string | null,
  communityId: string,
  known?: KnownAccess,
  spaces?: ScopeSpaces,
): Promise<ReaderScope | null> {
  const [community, viewer, rows] = await Promise.all([
    known ? { id: known.community.id, private: known.community.visibility === "private" } : loadCommunity(env, communityId),
    known
      ? {
          userId,
          role: known.membership?.role ?? null,
          tier: known.membership ? effectiveTier(known.membership) : null,
          listedIn: new Set<string>(),
        }
      : loadViewer(env, communityId, userId),
    spaces ?? scopeSpacesQuery(env, { id: communityId }, sql`${userId ?? ""}`).then(toScopeSpaces),
  ]);
  if (!community) return null;
  const own = rows.filter((sp) => sp.communityId === communityId);
  if (viewer.role) for (const sp of own) if (sp.listed) viewer.listedIn.add(sp.id);
  return { communityId, communityPrivate: community.private, viewer, spaces: new Map(own.map((sp) => [sp.id, sp])) };
}

/** The spaces whose content the scope's reader may read (archived ones excluded). */
export function readableSpaceIds(scope: ReaderScope): string[] {
  if (scope.communityPrivate && !scope.viewer.role) return [];
  return [...scope.spaces.values()].filter((sp) => canReadSpace(scope.viewer, sp, scope.communityPrivate)).map((sp) => sp.id);
}

/** The refs the scope's reader may read now, in the given order, with the facts that decided it. */
export async function filterInScope<T extends ContentRef>(
  env: Env,
  scope: ReaderScope,
  refs: T[],
  /** the facts of every ref's post and comment, when the caller has read them already */
  known?: Facts,
): Promise<ReadableItem<T>[]> {
  const { communityId, viewer } = scope;
  if (refs.length === 0 || (scope.communityPrivate && !viewer.role)) return [];
  let posts: Map<string, PostFacts>;
  let comments: Map<string, CommentFacts>;
  let postIdOf: (r: T) => string | null;
  if (known) {
    ({ posts, comments } = known);
    postIdOf = (r) => (r.postId ? r.postId : r.commentId ? (comments.get(r.commentId)?.postId ?? null) : null);
  } else {
    // a comment ref without its post id needs the comment first; the others load beside the posts
    const orphanIds = refs.flatMap((r) => (r.commentId && !r.postId ? [r.commentId] : []));
    const pairedIds = refs.flatMap((r) => (r.commentId && r.postId ? [r.commentId] : []));
    const orphans = orphanIds.length ? await loadComments(env, communityId, orphanIds) : new Map<string, CommentFacts>();
    postIdOf = (r) => (r.postId ? r.postId : r.commentId ? (orphans.get(r.commentId)?.postId ?? null) : null);
    const loaded = await loadFacts(
      env,
      communityId,
      refs.flatMap((r) => postIdOf(r) ?? []),
      pairedIds,
    );
    posts = loaded.posts;
    comments = new Map([...orphans, ...loaded.comments]);
  }

  const out: ReadableItem<T>[] = [];
  for (const ref of refs) {
    const comment = ref.commentId ? comments.get(ref.commentId) : null;
    if (comment === undefined) continue;
    const postId = postIdOf(ref);
    const post = postId ? posts.get(postId) : undefined;
    if (!post) continue;
    if (comment && comment.postId !== post.id) continue;
    const space = scope.spaces.get(post.spaceId);
    if (!space || !canReadSpace(viewer, space, scope.communityPrivate)) continue;
    if (!canSeeContent(viewer, post)) continue;
    if (comment && !canSeeContent(viewer, comment)) continue;
    out.push({ ref, space, post, comment });
  }
  return out;
}

/** The refs that `userId` (null: signed out) may read now in one community, in the given order. */
export async function filterReadable<T extends ContentRef>(
  env: Env,
  userId: string | null,
  communityId: string,
  refs: T[],
): Promise<ReadableItem<T>[]> {
  if (refs.length === 0) return [];
  const scope = await loadReaderScope(env, userId, communityId);
  return scope ? filterInScope(env, scope, refs) : [];
}

/**
 * The viewers among `userIds` (active members only) who may read the space now: its tier and,
 * for a private space, its listing. An archived space, or one of another community, has none.
 */
export async function spaceReadersAmong(env: Env, communityId: string, spaceId: string, userIds: string[]): Promise<Map<string, Viewer>> {
  const ids = unique(userIds);
  if (ids.length === 0) return new Map();
  const [community, spaces] = await Promise.all([loadCommunity(env, communityId), loadSpaces(env, communityId, [spaceId])]);
  const space = spaces.get(spaceId);
  if (!community || !space) return new Map();
  const viewers = await loadViewers(env, communityId, ids);
  if (space.private) {
    for (const key of await loadListings(env, [space.id], [...viewers.keys()])) {
      viewers.get(key.split(":")[1])?.listedIn.add(space.id);
    }
  }
  return new Map([...viewers].filter(([, viewer]) => canReadSpace(viewer, space, community.private)));
}

/**
 * Which of `userIds` (active members only: notifications go to members) may read this subject
 * (a post, or a comment and its post) now. Used to fan out notifications without one access
 * check per recipient. The stored rows decide, not a caller's copy: what counts is the state now.
 */
export async function readersAmong(
  env: Env,
  subject: { type: "post"; id: string; communityId: string } | { type: "comment"; id: string; postId: string; communityId: string },
  userIds: string[],
): Promise<Set<string>> {
  if (userIds.length === 0) return new Set();
  const { communityId } = subject;
  const postId = subject.type === "post" ? subject.id : subject.postId;
  const { posts, comments } = await loadFacts(env, communityId, [postId], subject.type === "comment" ? [subject.id] : []);
  const post = posts.get(postId);
  const comment = subject.type === "comment" ? comments?.get(subject.id) : null;
  if (!post || comment === undefined) return new Set();
  const readers = new Set<string>();
  for (const [id, viewer] of await spaceReadersAmong(env, communityId, post.spaceId, userIds)) {
    if (!canSeeContent(viewer, post)) continue;
    if (comment && !canSeeContent(viewer, comment)) continue;
    readers.add(id);
  }
  return readers;
}
