// Posts in a discussion space: write, the feed (newest first by seq, pinned apart, "new since
// your last visit"), read, edit, delete, and the moderator switches pin, lock and hide.
import { and, desc, eq, isNotNull, isNull, lt, or, sql, type SQL } from "drizzle-orm";
import { getDb, schema } from "../../db/client";
import { conflict, DomainError, forbidden, notFound } from "../../lib/errors";
import { newId } from "../../lib/ids";
import { renderMarkdown } from "../../lib/markdown";
import { auditInsert } from "../audit";
import { publish } from "../publish";
import { canModerate, type MemberSpaceAccess, type Post, type PostAccess, type SpaceAccess } from "./access";
import { authorColumns, postView, postViews, type PostView } from "./views";

const p = schema.posts;
const v = schema.spaceVisits;

export const MAX_POST_BODY_CHARS = 40_000;
export const MAX_PINNED = 20;

const charCount = (text: string) => [...text].length;

function assertBodySize(body: string) {
  if (charCount(body) > MAX_POST_BODY_CHARS) {
    throw new DomainError(413, "too_large", `A post can be at most ${MAX_POST_BODY_CHARS.toLocaleString("en")} characters.`, {
      maxChars: MAX_POST_BODY_CHARS,
    });
  }
}

export async function createPost(env: Env, access: MemberSpaceAccess, input: { title: string; body: string }): Promise<PostView> {
  if (access.space.kind !== "discussion") throw conflict(`A ${access.space.kind} space takes no posts; posts live in discussion spaces.`);
  assertBodySize(input.body);
  const [post] = await getDb(env)
    .insert(p)
    .values({
      id: newId("pst"),
      communityId: access.community.id,
      spaceId: access.space.id,
      authorId: access.userId,
      title: input.title,
      body: input.body,
    })
    .returning();
  await publish(env, { type: "post.created", post });
  return postView(env, post, access.userId);
}

/** Rows the caller may see in a list: never deleted; hidden and pending only for their author and moderators. */
function visibleTo(access: SpaceAccess): SQL | undefined {
  const open = and(isNull(p.hiddenAt), eq(p.moderationStatus, "visible"));
  return and(isNull(p.deletedAt), canModerate(access) ? undefined : access.userId ? or(open, eq(p.authorId, access.userId)) : open);
}

export type FeedItem = PostView & { isNew: boolean };
/** before: the seq the next page starts below; since: the last-seen seq that marks items new. */
export type FeedCursor = { before: number; since: number | null };
export type Feed = { items: FeedItem[]; pinned: FeedItem[]; next: FeedCursor | null; lastSeenSeq: number | null };

/**
 * A page of the space's feed. Paging by seq (assigned by SQLite, never reused) means posts
 * written while someone pages land above the first page: no duplicates, no gaps. The first page
 * records the visit after computing which items are new; later pages carry the same `since` in
 * their cursor so the marker stays the same across pages.
 */
export async function listPosts(env: Env, access: SpaceAccess, limit: number, cursor: FeedCursor | undefined): Promise<Feed> {
  const db = getDb(env);
  const spaceId = access.space.id;
  const userId = access.membership ? access.userId : null;
  const visible = and(eq(p.spaceId, spaceId), visibleTo(access));
  // not one db.batch: D1 batches return rows keyed by column name, so the joined author's `id`
  // would overwrite the post's
  const [visits, maxSeq, pageRows, pinnedRows] = await Promise.all([
    db
      .select({ lastSeenSeq: v.lastSeenSeq })
      .from(v)
      .where(and(eq(v.spaceId, spaceId), eq(v.userId, userId ?? "")))
      .limit(1),
    db
      .select({ seq: sql<number | null>`max(${p.seq})` })
      .from(p)
      .where(eq(p.spaceId, spaceId)),
    db
      .select({ post: p, author: authorColumns })
      .from(p)
      .innerJoin(schema.users, eq(schema.users.id, p.authorId))
      .where(and(visible, isNull(p.pinnedAt), cursor ? lt(p.seq, cursor.before) : undefined))
      .orderBy(desc(p.seq))
      .limit(limit + 1),
    db
      .select({ post: p, author: authorColumns })
      .from(p)
      .innerJoin(schema.users, eq(schema.users.id, p.authorId))
      .where(and(visible, isNotNull(p.pinnedAt)))
      .orderBy(desc(p.pinnedAt), desc(p.seq))
      .limit(MAX_PINNED),
  ]);

  const since = cursor ? cursor.since : userId ? (visits[0]?.lastSeenSeq ?? 0) : null;
  const pageSlice = pageRows.slice(0, limit);
  const views = await postViews(db, [...pageSlice, ...pinnedRows], access.userId);
  const mark = (view: PostView): FeedItem => ({ ...view, isNew: since !== null && view.seq > since });
  const items = views.slice(0, pageSlice.length).map(mark);
  const pinned = views.slice(pageSlice.length).map(mark);

  if (!cursor && userId) {
    const seen = Number(maxSeq[0]?.seq ?? 0);
    const now = new Date();
    await db
      .insert(v)
      .values({ spaceId, userId, lastSeenSeq: seen, visitedAt: now })
      .onConflictDoUpdate({
        target: [v.spaceId, v.userId],
        set: { lastSeenSeq: sql`max(${v.lastSeenSeq}, excluded.last_seen_seq)`, visitedAt: now },
      });
  }

  const last = pageRows.length > limit ? pageSlice[pageSlice.length - 1].post : null;
  return { items, pinned, next: last ? { before: last.seq, since } : null, lastSeenSeq: since };
}

export async function readPost(env: Env, access: PostAccess<"read">): Promise<{ post: PostView; html: string }> {
  return { post: await postView(env, access.post, access.userId), html: renderMarkdown(access.post.body) };
}

export async function updatePost(env: Env, access: PostAccess<"write">, changes: { title?: string; body?: string }): Promise<PostView> {
  if (access.post.authorId !== access.userId) throw forbidden("Only the author can edit a post.");
  if (changes.body !== undefined) assertBodySize(changes.body);
  if (changes.title === undefined && changes.body === undefined) return postView(env, access.post, access.userId);
  const [post] = await getDb(env)
    .update(p)
    .set({ ...changes, editedAt: new Date() })
    .where(and(eq(p.id, access.post.id), isNull(p.deletedAt)))
    .returning();
  if (!post) throw notFound("No such post.");
  await publish(env, { type: "post.updated", post });
  return postView(env, post, access.userId);
}

/** The author deletes their own post; moderators and up delete anyone's (audited). */
export async function deletePost(env: Env, access: PostAccess<"write">): Promise<void> {
  const db = getDb(env);
  const byAuthor = access.post.authorId === access.userId;
  if (!byAuthor && !canModerate(access)) throw forbidden("Only the author or a moderator can delete a post.");
  const remove = db
    .update(p)
    .set({ deletedAt: new Date() })
    .where(and(eq(p.id, access.post.id), isNull(p.deletedAt)))
    .returning();
  const [removed] = byAuthor
    ? [await remove]
    : await db.batch([
        remove,
        auditInsert(env, {
          communityId: access.community.id,
          actorId: access.userId,
          action: "post.delete",
          targetType: "post",
          targetId: access.post.id,
          data: { spaceId: access.space.id, authorId: access.post.authorId },
        }),
      ]);
  if (removed[0]) await publish(env, { type: "post.removed", post: removed[0] });
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
  const [updated] = await db.batch([
    db
      .update(p)
      .set(set)
      .where(and(eq(p.id, access.post.id), isNull(p.deletedAt)))
      .returning(),
    auditInsert(env, {
      communityId: access.community.id,
      actorId: access.userId,
      action: switchAction[which][on ? 0 : 1],
      targetType: "post",
      targetId: access.post.id,
      data: { spaceId: access.space.id },
    }),
  ]);
  const post = updated[0];
  if (!post) throw notFound("No such post.");
  if (which === "hidden") await publish(env, { type: on ? "post.removed" : "post.updated", post });
  return postView(env, post, access.userId);
}
