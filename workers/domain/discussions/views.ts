// The JSON shapes of spaces, posts and comments, built from rows. Times leave as ISO strings.
import type { CommentPermission } from "../permissions";
import { eq, getTableColumns, sql, type Column, type SQL } from "drizzle-orm";
import { getDb, schema, type Db } from "../../db/client";
import type { TierKey } from "../../db/schema";
import { excerpt, renderMarkdown, type MentionNames } from "../../lib/markdown";
import { mentionList, mentionNamesOf, type MentionRef } from "../notifications/mentions";
import { DELETED_MEMBER_NAME } from "../account/erase";
import type { UserCard } from "../communities/views";
import type { Comment, Post, Space } from "./access";
import { reactionEmoji, reactionSummaries, type ReactionView } from "./reactions";

export type SpaceView = {
  id: string;
  communityId: string;
  kind: Space["kind"];
  name: string;
  description: string;
  minTier: TierKey;
  private: boolean;
  position: number;
  archived: boolean;
  createdAt: string;
  following: boolean;
  newPosts: number;
};

export const toSpaceView = (s: Space, stats: { following: boolean; newPosts: number }): SpaceView => ({
  id: s.id,
  communityId: s.communityId,
  kind: s.kind,
  name: s.name,
  description: s.description,
  minTier: s.minTier,
  private: s.private,
  position: s.position,
  archived: s.archivedAt !== null,
  createdAt: s.createdAt.toISOString(),
  following: stats.following,
  newPosts: stats.newPosts,
});

/** The author columns every content query selects, joined from users. */
export const authorColumns = {
  id: schema.users.id,
  name: schema.users.name,
  avatarUrl: schema.users.avatarUrl,
  deletedAt: schema.users.deletedAt,
};
export type AuthorRow = { id: string; name: string; avatarUrl: string | null; deletedAt: Date | null };

// erasure already renames the row; saying it here too keeps a half-migrated row from leaking
export const toAuthor = (a: AuthorRow): UserCard =>
  a.deletedAt ? { id: a.id, name: DELETED_MEMBER_NAME, avatarUrl: null } : { id: a.id, name: a.name, avatarUrl: a.avatarUrl };

/** A post as lists show it: everything but the Markdown body (the excerpt stands in for it). */
export type PostSummary = Omit<PostView, "body" | "mentions">;

export type PostView = {
  id: string;
  seq: number;
  spaceId: string;
  communityId: string;
  author: UserCard;
  title: string;
  body: string;
  excerpt: string;
  moderationStatus: Post["moderationStatus"];
  pinned: boolean;
  locked: boolean;
  hidden: boolean;
  edited: boolean;
  editedAt: string | null;
  commentCount: number;
  reactions: ReactionView[];
  /** the members the body's tokens name, with their current names (notifications/mentions.ts) */
  mentions: MentionRef[];
  createdAt: string;
};

/** The post columns a list reads: no body, except for rows stored before excerpts were (0002). */
export const summaryColumns = (() => {
  const { body: _body, ...columns } = getTableColumns(schema.posts);
  return {
    ...columns,
    legacyBody: sql<string | null>`case when ${schema.posts.excerpt} is null then ${schema.posts.body} end`.as("legacy_body"),
  };
})();
export type PostSummaryRow = Omit<Post, "body"> & { legacyBody: string | null };

export const toPostSummary = (p: PostSummaryRow | Post, author: AuthorRow, reactions: ReactionView[]): PostSummary => ({
  id: p.id,
  seq: p.seq,
  spaceId: p.spaceId,
  communityId: p.communityId,
  author: toAuthor(author),
  title: p.title,
  excerpt: p.excerpt ?? excerpt(("body" in p ? p.body : p.legacyBody) ?? ""),
  moderationStatus: p.moderationStatus,
  pinned: p.pinnedAt !== null,
  locked: p.lockedAt !== null,
  hidden: p.hiddenAt !== null,
  edited: p.editedAt !== null,
  editedAt: p.editedAt ? p.editedAt.toISOString() : null,
  commentCount: p.commentCount,
  reactions,
  createdAt: p.createdAt.toISOString(),
});

/** `names`: the current names of the members the body mentions (mentionNamesOf). */
export const toPostView = (p: Post, author: AuthorRow, reactions: ReactionView[], names: MentionNames): PostView => ({
  ...toPostSummary(p, author, reactions),
  body: p.body,
  mentions: mentionList(p.body, names),
});

/**
 * Post views for rows already loaded with their authors, reactions and mentioned names fetched in
 * one go. `names`: the mentioned names when the caller reads them anyway (to render the body).
 */
export async function postViews(
  env: Env,
  rows: Array<{ post: Post; author: AuthorRow }>,
  viewerId: string | null,
  names?: Promise<Map<string, string>>,
): Promise<PostView[]> {
  const db = getDb(env);
  const communityId = rows[0]?.post.communityId;
  const [reactions, mentioned] = await Promise.all([
    reactionSummaries(
      db,
      "post",
      rows.map((r) => r.post.id),
      viewerId,
    ),
    names ?? (communityId ? mentionNamesOf(env, communityId, rows.map((r) => r.post.body)) : new Map<string, string>()),
  ]);
  return rows.map(({ post, author }) => toPostView(post, author, reactions.get(post.id) ?? [], mentioned));
}

/**
 * The reaction summary of each row as one JSON column ([emoji, count, viewer reacted] per emoji),
 * so a list reads its posts and their reactions in one statement instead of two round trips.
 */
export function reactionsColumn(targetType: "post" | "comment", targetId: Column, viewerId: string | null | SQL) {
  const r = schema.reactions;
  return sql<string>`(select json_group_array(json_array(emoji, n, mine)) from (
    select ${r.emoji} as emoji, count(*) as n, max(${r.userId} = ${viewerId ?? ""}) as mine
    from ${r} where ${r.targetType} = ${targetType} and ${r.targetId} = ${targetId} group by ${r.emoji}))`.as("reactions_json");
}

const emojiRank = (emoji: string) => (reactionEmoji as readonly string[]).indexOf(emoji);

/** What reactionsColumn selected, in display order, as reactionSummaries would give it. */
export function parseReactions(json: string | null): ReactionView[] {
  const rows: unknown = JSON.parse(json ?? "[]");
  if (!Array.isArray(rows)) return [];
  return rows
    .map((row): ReactionView => {
      const [emoji, count, mine] = Array.isArray(row) ? row : [];
      return { emoji: String(emoji), count: Number(count), reacted: Number(mine) === 1 };
    })
    .sort((a, b) => emojiRank(a.emoji) - emojiRank(b.emoji));
}

/**
 * The author columns for a statement that runs inside a D1 batch: a batch returns rows keyed by
 * column name, so the author's `id` and `deleted_at` are renamed or they would overwrite the post's.
 */
export const batchAuthorColumns = {
  id: sql<string>`${schema.users.id}`.as("author_user_id"),
  name: schema.users.name,
  avatarUrl: schema.users.avatarUrl,
  deletedAt: sql<Date | null>`${schema.users.deletedAt}`.mapWith(schema.users.deletedAt).as("author_deleted_at"),
};

export async function postView(env: Env, post: Post, viewerId: string | null, names?: Promise<Map<string, string>>): Promise<PostView> {
  const p = schema.posts;
  // the author and the reactions in one statement, beside the mentioned names: one round trip
  const [[row], mentioned] = await Promise.all([
    getDb(env)
      .select({ author: authorColumns, reactions: reactionsColumn("post", p.id, viewerId) })
      .from(p)
      .innerJoin(schema.users, eq(schema.users.id, p.authorId))
      .where(eq(p.id, post.id))
      .limit(1),
    names ?? mentionNamesOf(env, post.communityId, [post.body]),
  ]);
  return toPostView(post, row.author, parseReactions(row.reactions), mentioned);
}

export type CommentView = {
  id: string;
  seq: number;
  postId: string;
  parentId: string | null;
  rootId: string | null;
  /** 0 for a top-level comment, 1 for every reply: deeper replies are flattened under their root */
  depth: 0 | 1;
  /** for a flattened reply (its parent is not the root): whom it answers */
  replyTo: { id: string; author: { id: string; name: string } } | null;
  author: UserCard;
  body: string;
  html: string;
  moderationStatus: Comment["moderationStatus"];
  hidden: boolean;
  /** a removed comment kept as an empty placeholder because replies hang from it */
  deleted: boolean;
  edited: boolean;
  editedAt: string | null;
  reactions: ReactionView[];
  mentions: MentionRef[];
  createdAt: string;
  /** what the caller may do to it (domain/permissions.ts) */
  viewer: { permissions: CommentPermission[] };
};

export type CommentRow = { comment: Comment; author: AuthorRow; parentAuthor: AuthorRow | null };

/** `names`: the current names of the members the body mentions (mentionNamesOf). */
export function toCommentView(row: CommentRow, reactions: ReactionView[], placeholder: boolean, names: MentionNames): Omit<CommentView, "viewer"> {
  const c = row.comment;
  const flattened = c.parentId !== null && c.rootId !== null && c.parentId !== c.rootId;
  const parentAuthor = row.parentAuthor ? toAuthor(row.parentAuthor) : null;
  return {
    id: c.id,
    seq: c.seq,
    postId: c.postId,
    parentId: c.parentId,
    rootId: c.rootId,
    depth: c.rootId === null ? 0 : 1,
    replyTo: flattened && c.parentId && parentAuthor ? { id: c.parentId, author: { id: parentAuthor.id, name: parentAuthor.name } } : null,
    author: toAuthor(row.author),
    body: placeholder ? "" : c.body,
    html: placeholder ? "" : renderMarkdown(c.body, { mentionNames: names }),
    moderationStatus: c.moderationStatus,
    hidden: !placeholder && c.hiddenAt !== null,
    deleted: placeholder,
    edited: !placeholder && c.editedAt !== null,
    editedAt: !placeholder && c.editedAt ? c.editedAt.toISOString() : null,
    reactions: placeholder ? [] : reactions,
    mentions: placeholder ? [] : mentionList(c.body, names),
    createdAt: c.createdAt.toISOString(),
  };
}
