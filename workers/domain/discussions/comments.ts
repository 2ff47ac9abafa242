// Comments on a post, oldest first by seq, two levels deep: a reply to a reply keeps its
// parent_id but shares its thread's root_id, and the view flattens it to depth 1 with `replyTo`.
// A removed comment that others answered stays as an empty placeholder so the thread reads.
import { and, asc, eq, gt, isNull, or, sql, type SQL } from "drizzle-orm";
import { alias } from "drizzle-orm/sqlite-core";
import { z } from "zod";
import { getDb, schema } from "../../db/client";
import { decodeCursor, encodeCursor } from "../../lib/cursor";
import { commentPermissions } from "../permissions";
import { badRequest, conflict, forbidden, notFound } from "../../lib/errors";
import { newId } from "../../lib/ids";
import { assertMarkdownWithin, MAX_COMMENT_BODY_CHARS } from "../../lib/markdown";
import { auditInsertIfChanged } from "../audit";
import { announceEvents, eventInsert } from "../events/emit";
import { mentionNamesOf, prepareMentions } from "../notifications/mentions";
import { limitComment } from "../rate-limits";
import { canModerate, canSeeContent, type CommentAccess, type PostAccess } from "./access";
import { authorColumns, parseReactions, reactionsColumn, toCommentView, type CommentRow, type CommentView } from "./views";

const c = schema.comments;
const parent = alias(schema.comments, "parent");
const parentAuthor = alias(schema.users, "parent_author");
// the outer row stays "comments"; the subquery's rows are "replies"
const hasReplies = sql<number>`exists (select 1 from ${c} as replies where replies.parent_id = ${c.id} and replies.deleted_at is null)`;

/** Comments the caller may read in full; the others appear only as placeholders when answered. */
function readable(access: PostAccess<"read">): SQL | undefined {
  if (canModerate(access)) return isNull(c.deletedAt);
  const open = and(isNull(c.hiddenAt), eq(c.moderationStatus, "visible"));
  return and(isNull(c.deletedAt), access.userId ? or(open, eq(c.authorId, access.userId)) : open);
}

const selection = {
  comment: c,
  author: authorColumns,
  parentAuthor: { id: parentAuthor.id, name: parentAuthor.name, avatarUrl: parentAuthor.avatarUrl, deletedAt: parentAuthor.deletedAt },
  readable: sql<number>`1`,
};

/** A comment as answered: the view and what the caller may do to it (`viewer.permissions`). */
const withViewer = (access: PostAccess<"read">, view: Omit<CommentView, "viewer">): CommentView => ({
  ...view,
  viewer: { permissions: commentPermissions(access, { authorId: view.author.id, deleted: view.deleted }) },
});

// each row brings its reaction summary (reactionsColumn): the comments and their reactions are one
// statement, and only mentioned names, when any body has a mention, take a second round trip
async function commentViews(env: Env, access: PostAccess<"read">, rows: Array<CommentRow & { readable: number; reactions: string | null }>) {
  const full = rows.filter((r) => Number(r.readable) === 1);
  const names = await mentionNamesOf(
    env,
    access.community.id,
    full.map((r) => r.comment.body),
  );
  return rows.map((r) => withViewer(access, toCommentView(r, Number(r.readable) === 1 ? parseReactions(r.reactions) : [], Number(r.readable) !== 1, names)));
}

/** What a write of a comment answers: the comment, and the mentioned members who cannot read its space. */
export type CommentWrite = { comment: CommentView; unreachableMentions: string[] };

export type CommentPage = { items: CommentView[]; next: number | null };

export async function listComments(env: Env, access: PostAccess<"read">, limit: number, afterSeq: number | undefined): Promise<CommentPage> {
  const db = getDb(env);
  const canRead = readable(access) ?? sql`1`;
  const rows = await db
    .select({ ...selection, readable: sql<number>`case when ${canRead} then 1 else 0 end`, reactions: reactionsColumn("comment", c.id, access.userId) })
    .from(c)
    .innerJoin(schema.users, eq(schema.users.id, c.authorId))
    .leftJoin(parent, eq(parent.id, c.parentId))
    .leftJoin(parentAuthor, eq(parentAuthor.id, parent.authorId))
    .where(and(eq(c.postId, access.post.id), afterSeq !== undefined ? gt(c.seq, afterSeq) : undefined, or(canRead, hasReplies)))
    .orderBy(asc(c.seq))
    .limit(limit + 1);
  const page = rows.slice(0, limit);
  return { items: await commentViews(env, access, page), next: rows.length > limit ? page[page.length - 1].comment.seq : null };
}

/**
 * A page of the post's comments as GET /posts/{id}/comments answers it: the cursor is the last
 * comment's seq, opaque (lib/cursor.ts). Throws 400 invalid_cursor.
 */
export async function readComments(env: Env, access: PostAccess<"read">, page: { limit: number; cursor?: string | null }) {
  const after = decodeCursor(page.cursor, z.number().int());
  const found = await listComments(env, access, page.limit, after);
  return { items: found.items, nextCursor: found.next === null ? null : encodeCursor(found.next) };
}

async function loadCommentView(env: Env, access: PostAccess<"read">, commentId: string): Promise<CommentView> {
  const [row] = await getDb(env)
    .select({ ...selection, reactions: reactionsColumn("comment", c.id, access.userId) })
    .from(c)
    .innerJoin(schema.users, eq(schema.users.id, c.authorId))
    .leftJoin(parent, eq(parent.id, c.parentId))
    .leftJoin(parentAuthor, eq(parentAuthor.id, parent.authorId))
    .where(eq(c.id, commentId))
    .limit(1);
  if (!row) throw notFound("No such comment.");
  const [view] = await commentViews(env, access, [row]);
  return view;
}

// 413 past MAX_COMMENT_BODY_CHARS, 400 markdown_too_deep past the nesting bound (ADR 012)
const assertBody = (body: string) => assertMarkdownWithin(body, { path: "body", maxChars: MAX_COMMENT_BODY_CHARS, what: "A comment" });

const liveCommentCount = (postId: string) =>
  sql<number>`(select count(*) from ${c} where ${c.postId} = ${postId} and ${c.deletedAt} is null)`;

/**
 * Comment on a post or reply to a comment on it; 409 when the post is locked or gone, 400
 * parent_elsewhere for a parent not on this post, 413/400 past the Markdown bounds (ADR 012),
 * 429 past the author's 30 comments a minute (rate-limits/).
 * `options.id` names the row (an Idempotency-Key claim's derived id, api/idempotency.ts createdId;
 * a random id without one). A row with that id already there is one an earlier request of the same
 * claim wrote before it died: it is answered as if just created, and nothing is stored twice.
 */
export async function createComment(
  env: Env,
  access: PostAccess<"write">,
  input: { body: string; parentId?: string; mentionIds?: string[] },
  options: { id?: string } = {},
): Promise<CommentWrite> {
  const db = getDb(env);
  const post = access.post;
  if (post.lockedAt) throw conflict("This post is locked: it takes no new comments.", { reason: "post_locked" });
  assertBody(input.body);
  await limitComment(env, access.userId);
  const { body, names, unreachable } = await prepareMentions(env, access.space, access.userId, input.body, input.mentionIds);
  let rootId: string | null = null;
  let parentAuthorId: string | null = null;
  if (input.parentId) {
    const [found] = await db.select().from(c).where(eq(c.id, input.parentId)).limit(1);
    // deleted while the reply was being written: say so, rather than "not on this post"
    if (found && found.postId === post.id && found.deletedAt) {
      throw badRequest("The comment you are replying to was deleted.", { issues: [{ path: "parentId", message: "The comment was deleted", code: "parent_deleted" }] });
    }
    if (!found || found.postId !== post.id || !canSeeContent(access, found)) {
      throw badRequest("Reply to a comment on the same post.", { issues: [{ path: "parentId", message: "Not a comment on this post", code: "parent_elsewhere" }] });
    }
    rootId = found.rootId ?? found.id;
    parentAuthorId = found.authorId;
  }
  const id = options.id ?? newId("cmt");
  const posts = schema.posts;
  // One batch: the row is inserted only while the post is open (INSERT … SELECT from the post, so
  // a lock landing meanwhile wins), and the count is recomputed from the rows, so it never drifts.
  // The selection lists every column in table order, as INSERT … SELECT requires.
  const row = {
    seq: sql<number>`null`.as("seq"),
    id: sql<string>`${id}`.as("id"),
    communityId: posts.communityId,
    postId: posts.id,
    authorId: sql<string>`${access.userId}`.as("authorId"),
    parentId: sql<string | null>`${input.parentId ?? null}`.as("parentId"),
    rootId: sql<string | null>`${rootId}`.as("rootId"),
    body: sql<string>`${body}`.as("body"),
    moderationStatus: sql<string>`'visible'`.as("moderationStatus"),
    hiddenAt: sql<null>`null`.as("hiddenAt"),
    hiddenBy: sql<null>`null`.as("hiddenBy"),
    editedAt: sql<null>`null`.as("editedAt"),
    deletedAt: sql<null>`null`.as("deletedAt"),
    createdAt: sql<number>`${Date.now()}`.as("createdAt"),
  };
  // The comment is read back with its author and its parent's in the same batch (one table per
  // statement: a batch keys rows by column name): once it is stored nothing is left to fail, and
  // a new comment has no reactions (a stored write never answers 500). A row already under the id
  // (ON CONFLICT(id) DO NOTHING) is read back the same way, with its reactions.
  const users = schema.users;
  // its consequences ride in the batch as a domain event, written only if the insert wrote
  const event = commentEvent(env, "comment.created", post.communityId, id, post.id);
  const [inserted, , , [comment], [author], [parentAuthorRow], [reactions]] = await db.batch([
    db
      .insert(c)
      .select(
        db
          .select(row)
          .from(posts)
          .where(
            and(
              eq(posts.id, post.id),
              isNull(posts.lockedAt),
              isNull(posts.deletedAt),
              sql`exists (select 1 from communities where id = ${posts.communityId} and deleted_at is null)`,
            ),
          ),
      )
      .onConflictDoNothing({ target: c.id })
      .returning({ id: c.id }),
    event.statement,
    db
      .update(posts)
      .set({ commentCount: liveCommentCount(post.id) })
      .where(eq(posts.id, post.id)),
    db.select().from(c).where(eq(c.id, id)).limit(1),
    db.select(authorColumns).from(users).where(eq(users.id, access.userId)).limit(1),
    db.select(authorColumns).from(users).where(eq(users.id, parentAuthorId ?? "")).limit(1),
    db
      .select({ json: reactionsColumn("comment", c.id, access.userId) })
      .from(c)
      .where(eq(c.id, id)),
  ]);
  if (!comment) throw conflict("This post is locked or gone: it takes no new comments.", { reason: "post_locked" });
  const fresh = inserted.length > 0;
  // a derived id is only ever the caller's own claim's: another row under it would be a collision
  if (!fresh && (comment.authorId !== access.userId || comment.postId !== post.id)) throw conflict("This comment id is taken.");
  if (fresh) await announceEvents(env, [event.id]);
  // a retry that found its row answers the row as stored (its body may have been edited since)
  const shown = fresh ? names : await mentionNamesOf(env, comment.communityId, [comment.body]);
  return {
    comment: withViewer(access, toCommentView({ comment, author, parentAuthor: parentAuthorRow ?? null }, fresh ? [] : parseReactions(reactions?.json ?? null), false, shown)),
    unreachableMentions: fresh ? unreachable : [],
  };
}

export async function updateComment(env: Env, access: CommentAccess<"write">, input: string, mentionIds?: string[]): Promise<CommentWrite> {
  if (access.comment.authorId !== access.userId) throw forbidden("Only the author can edit a comment.");
  assertBody(input);
  const { body, names, unreachable } = await prepareMentions(env, access.space, access.userId, input, mentionIds);
  const db = getDb(env);
  const users = schema.users;
  const parentId = access.comment.parentId ?? "";
  const event = commentEvent(env, "comment.updated", access.community.id, access.comment.id, access.post.id);
  // the answer's authors and reactions are read in the write's batch (one table per statement: a
  // batch keys rows by column name): once stored, nothing is left to fail
  const [[comment], , [author], [parentAuthorRow], [reactions]] = await db.batch([
    db
      .update(c)
      .set({ body, editedAt: new Date() })
      .where(and(eq(c.id, access.comment.id), isNull(c.deletedAt)))
      .returning(),
    event.statement,
    db.select(authorColumns).from(users).where(eq(users.id, access.userId)).limit(1),
    db
      .select(authorColumns)
      .from(users)
      .where(eq(users.id, sql`(select ${c.authorId} from ${c} where ${c.id} = ${parentId})`))
      .limit(1),
    db
      .select({ json: reactionsColumn("comment", c.id, access.userId) })
      .from(c)
      .where(eq(c.id, access.comment.id)),
  ]);
  if (!comment) throw notFound("No such comment.");
  await announceEvents(env, [event.id]);
  return {
    comment: withViewer(access, toCommentView({ comment, author, parentAuthor: parentAuthorRow ?? null }, parseReactions(reactions?.json ?? null), false, names)),
    unreachableMentions: unreachable,
  };
}

export async function deleteComment(env: Env, access: CommentAccess<"write">): Promise<void> {
  const db = getDb(env);
  const byAuthor = access.comment.authorId === access.userId;
  if (!byAuthor && !canModerate(access)) throw forbidden("Only the author or a moderator can delete a comment.");
  const postId = access.post.id;
  const event = commentEvent(env, "comment.removed", access.community.id, access.comment.id, postId);
  // audit and event only if this request deleted it; the count follows the event (changes() reads
  // the statement just before)
  const [removed] = await db.batch([
    db
      .update(c)
      .set({ deletedAt: new Date() })
      .where(and(eq(c.id, access.comment.id), isNull(c.deletedAt)))
      .returning({ id: c.id }),
    ...(byAuthor
      ? []
      : [
          auditInsertIfChanged(env, {
            communityId: access.community.id,
            actorId: access.userId,
            action: "comment.delete",
            targetType: "comment",
            targetId: access.comment.id,
            data: { postId, authorId: access.comment.authorId },
          }),
        ]),
    event.statement,
    db
      .update(schema.posts)
      .set({ commentCount: liveCommentCount(postId) })
      .where(eq(schema.posts.id, postId)),
  ]);
  if (removed[0]) await announceEvents(env, [event.id]);
}

export async function setCommentHidden(env: Env, access: CommentAccess<"write">, hidden: boolean): Promise<CommentView> {
  if (!canModerate(access)) throw forbidden("This needs the moderator role or higher.");
  const db = getDb(env);
  if ((access.comment.hiddenAt !== null) === hidden) return loadCommentView(env, access, access.comment.id);
  const event = commentEvent(env, hidden ? "comment.removed" : "comment.updated", access.community.id, access.comment.id, access.post.id);
  const [updated] = await db.batch([
    db
      .update(c)
      .set({ hiddenAt: hidden ? new Date() : null, hiddenBy: hidden ? access.userId : null })
      .where(and(eq(c.id, access.comment.id), isNull(c.deletedAt)))
      .returning(),
    auditInsertIfChanged(env, {
      communityId: access.community.id,
      actorId: access.userId,
      action: hidden ? "comment.hide" : "comment.unhide",
      targetType: "comment",
      targetId: access.comment.id,
      data: { postId: access.post.id },
    }),
    event.statement,
  ]);
  const comment = updated[0];
  if (!comment) throw notFound("No such comment.");
  await announceEvents(env, [event.id]);
  return loadCommentView(env, access, comment.id);
}

/** A comment's domain event, written only if the statement before it in the batch changed the comment. */
function commentEvent(
  env: Env,
  kind: "comment.created" | "comment.updated" | "comment.removed",
  communityId: string,
  commentId: string,
  postId: string,
) {
  return eventInsert(env, { kind, communityId, subject: { type: "comment", id: commentId }, payload: { commentId, postId } }, { ifChanged: true });
}
