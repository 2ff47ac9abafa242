// Posts in a discussion space: write, the feed (newest first by seq, pinned apart, "new since
// your last visit"), read, edit, delete, and the moderator switches pin, lock and hide.
import { and, desc, eq, isNotNull, isNull, lt, or, sql, type SQL } from "drizzle-orm";
import { z } from "zod";
import { getDb, schema } from "../../db/client";
import { decodeCursor, encodeCursor } from "../../lib/cursor";
import { postPermissions } from "../permissions";
import { conflict, forbidden, notFound } from "../../lib/errors";
import { newId } from "../../lib/ids";
import { assertMarkdownWithin, excerpt, MAX_POST_BODY_CHARS, renderMarkdown } from "../../lib/markdown";
import { auditInsertIfChanged } from "../audit";
import { announceEvents, eventInsert } from "../events/emit";
import { limitPost } from "../rate-limits";
import { mentionNamesOf, prepareMentions } from "../notifications/mentions";
import { readerIdSql, type Reader, type ReaderShape } from "../auth/reader";
import { runBound, template } from "../../db/templates";
import { rowWhere } from "../../db/insert-select";
import { canModerate, settleSpaceAccess, spaceAccess, type MemberSpaceAccess, type Post, type PostAccess, type spaceAccessQuery } from "./access";
import {
  authorColumns,
  batchAuthorColumns,
  parseReactions,
  postView,
  reactionsColumn,
  summaryColumns,
  toPostSummary,
  toPostView,
  type AuthorRow,
  type PostSummary,
  type PostSummaryRow,
  type PostView,
} from "./views";

const p = schema.posts;
const v = schema.spaceVisits;

export const MAX_PINNED = 20;

// 413 past MAX_POST_BODY_CHARS, 400 markdown_too_deep past the nesting bound (ADR 012)
const assertBody = (body: string) => assertMarkdownWithin(body, { path: "body", maxChars: MAX_POST_BODY_CHARS, what: "A post" });

/**
 * Write a post in a discussion space; 409 in another kind of space, 413/400 past the Markdown
 * bounds (ADR 012), 429 past the author's 10 posts a minute (rate-limits/). `options.id` names the row (an Idempotency-Key claim's derived id, api/idempotency.ts
 * createdId; a random id without one). A row with that id already there is one an earlier request
 * of the same claim wrote before it died: it is answered as if just created, and nothing is stored twice.
 */
export async function createPost(
  env: Env,
  access: MemberSpaceAccess,
  input: { title: string; body: string; mentionIds?: string[] },
  options: { id?: string } = {},
): Promise<PostWrite> {
  if (access.space.kind !== "discussion") throw conflict(`A ${access.space.kind} space takes no posts; posts live in discussion spaces.`);
  assertBody(input.body);
  // a refused body costs nothing; a post that would be written spends the author's budget (429)
  await limitPost(env, access.userId);
  const { body, names, unreachable } = await prepareMentions(env, access.space, access.userId, input.body, input.mentionIds);
  const db = getDb(env);
  const id = options.id ?? newId("pst");
  // its consequences (search, mentions, followers) ride in the batch as a domain event, written
  // only if the insert wrote: a retry that finds the row of a request that died finds its event too
  const event = postEvent(env, "post.created", access.community.id, id);
  // the author (and, for a row already there, its reactions) is read in the write's batch: once
  // the row is stored nothing is left to fail (a stored write never answers 500)
  const [inserted, , [post], [author], [reactions]] = await db.batch([
    db
      .insert(p)
      .select(
        rowWhere(
          p,
          {
            id,
            communityId: access.community.id,
            spaceId: access.space.id,
            authorId: access.userId,
            title: input.title,
            body,
            excerpt: excerpt(body, names),
          },
          // only while the space is open and its community stands: a post racing an archive or a
          // deletion is not written
          sql`exists (select 1 from spaces s join communities c on c.id = s.community_id
            where s.id = ${access.space.id} and s.archived_at is null and c.deleted_at is null)`,
        ),
      )
      .onConflictDoNothing({ target: p.id })
      .returning({ id: p.id }),
    event.statement,
    db.select().from(p).where(eq(p.id, id)).limit(1),
    db.select(authorColumns).from(schema.users).where(eq(schema.users.id, access.userId)).limit(1),
    db
      .select({ json: reactionsColumn("post", p.id, access.userId) })
      .from(p)
      .where(eq(p.id, id)),
  ]);
  const fresh = inserted.length > 0;
  if (!post) throw notFound("No such space.");
  // a derived id is only ever the caller's own claim's: another row under it would be a collision
  if (!fresh && (post.authorId !== access.userId || post.spaceId !== access.space.id)) throw conflict("This post id is taken.");
  if (fresh) await announceEvents(env, [event.id]);
  // a retry that found its row answers the row as stored (its body may have been edited since)
  const shown = fresh ? names : await mentionNamesOf(env, post.communityId, [post.body]);
  return { post: toPostView(post, author, fresh ? [] : parseReactions(reactions?.json ?? null), shown), unreachableMentions: fresh ? unreachable : [] };
}

/** Rows a reader may see in a list: never deleted; hidden and pending only for their author and moderators. */
function visibleTo(reader: FeedReader): SQL | undefined {
  const open = and(isNull(p.hiddenAt), eq(p.moderationStatus, "visible"));
  return and(isNull(p.deletedAt), reader.moderator ? undefined : or(open, eq(p.authorId, reader.userId)));
}

/** A feed entry: the post without its body (lists show the excerpt), and whether it is new. */
export type FeedItem = PostSummary & { isNew: boolean };
/** before: the seq the next page starts below; since: the last-seen seq that marks items new. */
export type FeedCursor = { before: number; since: number | null };
export type Feed = { items: FeedItem[]; pinned: FeedItem[]; next: FeedCursor | null; lastSeenSeq: number | null };
/** Work that may finish after the response (the Worker's waitUntil); the domain knows no Hono. */
export type Defer = (work: Promise<unknown>) => void;

/** userId: the reader's id as SQL (auth/reader.ts), so these statements can share the session's batch. */
type FeedReader = { userId: SQL; moderator: boolean };
type FeedRow = { post: PostSummaryRow; author: AuthorRow; reactions: string | null };

/** A visit is written again only when it would say something new; on D1 a write costs every reader. */
const VISIT_REFRESH_MS = 15 * 60_000;

/**
 * Whether this first-page read changes the stored visit: a first visit, a post newer than the
 * last one seen, or a visit time older than VISIT_REFRESH_MS. Re-reading an unchanged space
 * writes nothing.
 */
function visitChanged(visit: { lastSeenSeq: number; visitedAt: Date } | null, rows: FeedRow[], now: number): boolean {
  if (!visit) return true;
  if (rows.some((row) => row.post.seq > visit.lastSeenSeq)) return true;
  return now - visit.visitedAt.getTime() >= VISIT_REFRESH_MS;
}

/**
 * The feed's statements as templates (db/templates.ts): the reader's last visit, the page and the
 * pinned posts, for one batch beside the space access (access.ts spaceAccess). Shape: how the reader is named (auth/reader.ts),
 * whether the page continues below a cursor, and whether the reader moderates (sees hidden posts).
 * Placeholders: space_id, before, page_size and the reader's.
 */
type FeedShape = `${ReaderShape}:${"first" | "after"}:${"member" | "moderator"}`;
const shapeParts = (shape: FeedShape) => {
  const [who, page, role] = shape.split(":") as [ReaderShape, "first" | "after", "member" | "moderator"];
  return { who, after: page === "after", moderator: role === "moderator" };
};
const spaceIdParam = sql.placeholder("space_id");

const feedVisit = template((env: Env, shape: ReaderShape) =>
  getDb(env)
    .select({ lastSeenSeq: v.lastSeenSeq, visitedAt: v.visitedAt })
    .from(v)
    .where(and(eq(v.spaceId, spaceIdParam), eq(v.userId, readerIdSql(shape))))
    .limit(1),
  { constants: [1] },
);

/** What the feed's SQL names besides placeholders: the reactions' target type and the visible status. */
const feedConstants = ["post", "visible"];

function feedColumns(userId: SQL) {
  return { post: summaryColumns, author: batchAuthorColumns, reactions: reactionsColumn("post", p.id, userId) };
}

const feedPage = template((env: Env, shape: FeedShape) => {
  const { who, after, moderator } = shapeParts(shape);
  const userId = readerIdSql(who);
  return getDb(env)
    .select(feedColumns(userId))
    .from(p)
    .innerJoin(schema.users, eq(schema.users.id, p.authorId))
    .where(and(eq(p.spaceId, spaceIdParam), visibleTo({ userId, moderator }), isNull(p.pinnedAt), after ? lt(p.seq, sql.placeholder("before")) : undefined))
    .orderBy(desc(p.seq))
    .limit(sql.placeholder("page_size"));
}, { constants: feedConstants });

const feedPinned = template((env: Env, shape: FeedShape) => {
  const { who, moderator } = shapeParts(shape);
  const userId = readerIdSql(who);
  return getDb(env)
    .select(feedColumns(userId))
    .from(p)
    .innerJoin(schema.users, eq(schema.users.id, p.authorId))
    .where(and(eq(p.spaceId, spaceIdParam), visibleTo({ userId, moderator }), isNotNull(p.pinnedAt)))
    .orderBy(desc(p.pinnedAt), desc(p.seq))
    .limit(MAX_PINNED);
}, { constants: [...feedConstants, MAX_PINNED] });

/**
 * A page of the space's feed, for whoever may read the space (openSpace's 401/403/404 otherwise).
 * Paging by seq (assigned by SQLite, never reused) means posts written while someone pages land
 * above the first page: no duplicates, no gaps. A member's first page records the visit after
 * computing which items are new; later pages carry the same `since` in their cursor so the marker
 * stays the same across pages.
 *
 * The session, the access check and the rows are one batch, one round trip (ADR 009, ADR 010):
 * the rows are read as a non-moderator sees them and are dropped unused when the access check
 * refuses; a moderator, who also sees hidden and pending posts, pays a second read. The visit is
 * written after the response (`defer`): nothing in this response depends on it.
 */
// [before seq, last-seen seq the first page marked "new" against]
const FeedCursorShape = z.tuple([z.number().int(), z.number().int().nullable()]);

/**
 * A page of the space's feed as GET /spaces/{id}/posts answers it: `cursor` and `nextCursor` are
 * opaque (lib/cursor.ts). Throws 400 invalid_cursor, and listPosts' 403 tier_required and 404.
 */
export async function readFeed(env: Env, spaceId: string, reader: Reader, page: { limit: number; cursor?: string | null }, defer: Defer) {
  const after = decodeCursor(page.cursor, FeedCursorShape);
  const feed = await listPosts(env, spaceId, reader, { limit: page.limit, cursor: after ? { before: after[0], since: after[1] } : undefined }, defer);
  return {
    items: feed.items,
    pinned: feed.pinned,
    nextCursor: feed.next ? encodeCursor([feed.next.before, feed.next.since]) : null,
    lastSeenSeq: feed.lastSeenSeq,
  };
}

export async function listPosts(
  env: Env,
  spaceId: string,
  reader: Reader,
  page: { limit: number; cursor: FeedCursor | undefined },
  defer: Defer,
): Promise<Feed> {
  const { limit, cursor } = page;
  const pageShape = (who: ReaderShape, role: "member" | "moderator"): FeedShape => `${who}:${cursor ? "after" : "first"}:${role}`;
  const who = reader.shape;
  const values = { ...reader.placeholders(), target: spaceId, space_id: spaceId, page_size: limit + 1, before: cursor?.before ?? null };
  const accessStatement = spaceAccess(env, `${who}:space`, values);
  // a later page needs neither the visit (its cursor carries `since`) nor the pinned posts (the
  // first page has them)
  let userId: string | null;
  let accessRows: Awaited<ReturnType<typeof spaceAccessQuery>>;
  let rows: { visit: { lastSeenSeq: number; visitedAt: Date } | null; pageRows: FeedRow[]; pinnedRows: FeedRow[] };
  if (cursor) {
    const read = await reader.runBound([accessStatement, feedPage(env, pageShape(who, "member"), values)] as const);
    userId = read.userId;
    accessRows = read.results[0];
    rows = { visit: null, pageRows: read.results[1], pinnedRows: [] };
  } else {
    const read = await reader.runBound([
      accessStatement,
      feedVisit(env, who, values),
      feedPage(env, pageShape(who, "member"), values),
      feedPinned(env, pageShape(who, "member"), values),
    ] as const);
    userId = read.userId;
    accessRows = read.results[0];
    rows = { visit: read.results[1][0] ?? null, pageRows: read.results[2], pinnedRows: read.results[3] };
  }
  const access = settleSpaceAccess(accessRows, userId, "read");
  if (canModerate(access)) {
    const known = { ...values, reader_id: userId ?? "" };
    const [pageRows, pinnedRows] = await runBound(env, [
      feedPage(env, pageShape("known", "moderator"), known),
      ...(cursor ? [] : [feedPinned(env, pageShape("known", "moderator"), known)]),
    ] as const);
    rows = { ...rows, pageRows, pinnedRows: pinnedRows ?? [] };
  }
  const { visit, pageRows, pinnedRows } = rows;
  const member = access.membership ? userId : null;
  const since = cursor ? cursor.since : member ? (visit?.lastSeenSeq ?? 0) : null;

  if (!cursor && member && visitChanged(visit, [...pageRows, ...pinnedRows], Date.now())) {
    const now = new Date();
    defer(
      getDb(env)
        .insert(v)
        .values({ spaceId, userId: member, lastSeenSeq: sql`(select coalesce(max(${p.seq}), 0) from ${p} where ${p.spaceId} = ${spaceId})`, visitedAt: now })
        .onConflictDoUpdate({
          target: [v.spaceId, v.userId],
          set: { lastSeenSeq: sql`max(${v.lastSeenSeq}, excluded.last_seen_seq)`, visitedAt: now },
        })
        .then(() => undefined),
    );
  }

  const mark = ({ post, author, reactions }: FeedRow): FeedItem => ({
    ...toPostSummary(post, author, parseReactions(reactions)),
    isNew: since !== null && post.seq > since,
  });
  const pageSlice = pageRows.slice(0, limit);
  const last = pageRows.length > limit ? pageSlice[pageSlice.length - 1].post : null;
  return { items: pageSlice.map(mark), pinned: pinnedRows.map(mark), next: last ? { before: last.seq, since } : null, lastSeenSeq: since };
}

/** The post with its body rendered, and what the caller may do to it (`viewer.permissions`). */
export async function readPost(env: Env, access: PostAccess<"read">) {
  // the names are read once, for the view's mentions and the rendered body alike
  const names = mentionNamesOf(env, access.post.communityId, [access.post.body]);
  const [post, mentionNames] = await Promise.all([postView(env, access.post, access.userId, names), names]);
  return { post, html: renderMarkdown(access.post.body, { mentionNames }), viewer: { permissions: postPermissions(access, { authorId: access.post.authorId, locked: access.post.lockedAt !== null }) } };
}

/** What a write of a post answers: the post, and the mentioned members who cannot read its space. */
export type PostWrite = { post: PostView; unreachableMentions: string[] };

export async function updatePost(
  env: Env,
  access: PostAccess<"write">,
  input: { title?: string; body?: string; mentionIds?: string[] },
): Promise<PostWrite> {
  if (access.post.authorId !== access.userId) throw forbidden("Only the author can edit a post.");
  if (input.body !== undefined) assertBody(input.body);
  if (input.title === undefined && input.body === undefined) return { post: await postView(env, access.post, access.userId), unreachableMentions: [] };
  const prepared = input.body !== undefined ? await prepareMentions(env, access.space, access.userId, input.body, input.mentionIds) : null;
  const changes = {
    ...(input.title !== undefined ? { title: input.title } : {}),
    ...(prepared ? { body: prepared.body, excerpt: excerpt(prepared.body, prepared.names) } : {}),
  };
  const db = getDb(env);
  const event = postEvent(env, "post.updated", access.community.id, access.post.id);
  // the answer's author and reactions are read in the write's batch: once stored, nothing is left to fail
  const [[post], , [author], [reactions]] = await db.batch([
    db
      .update(p)
      .set({ ...changes, editedAt: new Date() })
      .where(and(eq(p.id, access.post.id), isNull(p.deletedAt)))
      .returning(),
    event.statement,
    db.select(authorColumns).from(schema.users).where(eq(schema.users.id, access.userId)).limit(1),
    db
      .select({ json: reactionsColumn("post", p.id, access.userId) })
      .from(p)
      .where(eq(p.id, access.post.id)),
  ]);
  if (!post) throw notFound("No such post.");
  await announceEvents(env, [event.id]);
  const names = prepared?.names ?? (await mentionNamesOf(env, post.communityId, [post.body]));
  return { post: toPostView(post, author, parseReactions(reactions?.json ?? null), names), unreachableMentions: prepared?.unreachable ?? [] };
}

/** The author deletes their own post; moderators and up delete anyone's (audited). */
export async function deletePost(env: Env, access: PostAccess<"write">): Promise<void> {
  const db = getDb(env);
  const byAuthor = access.post.authorId === access.userId;
  if (!byAuthor && !canModerate(access)) throw forbidden("Only the author or a moderator can delete a post.");
  const event = postEvent(env, "post.removed", access.community.id, access.post.id);
  // audit and event only if this request deleted it (not a second click, not a lost race)
  const [removed] = await db.batch([
    db
      .update(p)
      .set({ deletedAt: new Date() })
      .where(and(eq(p.id, access.post.id), isNull(p.deletedAt)))
      .returning({ id: p.id }),
    ...(byAuthor
      ? []
      : [
          auditInsertIfChanged(env, {
            communityId: access.community.id,
            actorId: access.userId,
            action: "post.delete",
            targetType: "post",
            targetId: access.post.id,
            data: { spaceId: access.space.id, authorId: access.post.authorId },
          }),
        ]),
    event.statement,
  ]);
  if (removed[0]) await announceEvents(env, [event.id]);
}

type Switch = "pinned" | "locked" | "hidden";
const switchColumn = { pinned: "pinnedAt", locked: "lockedAt", hidden: "hiddenAt" } as const;
const switchAction: Record<Switch, [on: string, off: string]> = {
  pinned: ["post.pin", "post.unpin"],
  locked: ["post.lock", "post.unlock"],
  hidden: ["post.hide", "post.unhide"],
};

/** Pin, lock or hide (on) and undo it (off): moderators and up, audited in the same batch. */
export async function setPostSwitch(env: Env, access: PostAccess<"write">, which: Switch, on: boolean): Promise<PostView> {
  if (!canModerate(access)) throw forbidden("This needs the moderator role or higher.");
  const db = getDb(env);
  const column = switchColumn[which];
  const current = access.post[column];
  if ((current !== null) === on) return postView(env, access.post, access.userId);
  const set: Partial<Post> = { [column]: on ? new Date() : null };
  if (which === "hidden") set.hiddenBy = on ? access.userId : null;
  // hiding takes the post out of search and notifications; showing it again puts it back
  const event = which === "hidden" ? postEvent(env, on ? "post.removed" : "post.restored", access.community.id, access.post.id) : null;
  const [updated] = await db.batch([
    db
      .update(p)
      .set(set)
      .where(and(eq(p.id, access.post.id), isNull(p.deletedAt)))
      .returning(),
    auditInsertIfChanged(env, {
      communityId: access.community.id,
      actorId: access.userId,
      action: switchAction[which][on ? 0 : 1],
      targetType: "post",
      targetId: access.post.id,
      data: { spaceId: access.space.id },
    }),
    ...(event ? [event.statement] : []),
  ]);
  const post = updated[0];
  if (!post) throw notFound("No such post.");
  if (event) await announceEvents(env, [event.id]);
  return postView(env, post, access.userId);
}

/** A post's domain event, written only if the statement before it in the batch changed the post. */
function postEvent(env: Env, kind: "post.created" | "post.updated" | "post.removed" | "post.restored", communityId: string, postId: string) {
  return eventInsert(
    env,
    { kind, communityId, subject: { type: "post", id: postId }, payload: { postId } },
    { ifChanged: true },
  );
}
