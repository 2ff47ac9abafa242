// What follows from writing a post or a comment, as the spine's handlers (ADR 014): mentions and
// their notifications, reply notices, and new-post notices to the space's followers. Each reads
// the stored row now — the event carries only ids — and is idempotent: mentions are made equal to
// the text (storeMentions), notifications are keyed (user, kind, subject), and the followers'
// continuation event has an id derived from where it starts.
import { and, asc, eq, gt } from "drizzle-orm";
import { getDb, schema } from "../../db/client";
import { emitFollowUp } from "../events/emit";
import type { DomainEvent } from "../events/kinds";
import { notify, notifyFollowerPage, type Subject } from "../notifications/deliver";
import { excerpt } from "../../lib/markdown";
import { mentionNamesOf, resolveMentions, storeMentions } from "../notifications/mentions";
import { syncSearchDocument } from "../search/sync";
import { channelStub } from "../chat/channels";
import { parseMessageId } from "../../../durable-objects/protocol";
import type { Comment, Post } from "./access";

/** How many pages of followers (FOLLOWER_PAGE each) one event handles before handing on. */
const FOLLOWER_PAGES_PER_EVENT = 2;

async function loadPost(env: Env, postId: string): Promise<Post | undefined> {
  const [post] = await getDb(env).select().from(schema.posts).where(eq(schema.posts.id, postId)).limit(1);
  return post;
}

async function loadComment(env: Env, commentId: string): Promise<{ comment: Comment; post: Post } | undefined> {
  const [row] = await getDb(env)
    .select({ comment: schema.comments, post: schema.posts })
    .from(schema.comments)
    .innerJoin(schema.posts, eq(schema.posts.id, schema.comments.postId))
    .where(eq(schema.comments.id, commentId))
    .limit(1);
  return row;
}

const postSubject = (post: Post): Subject & { type: "post" } => ({ type: "post", id: post.id, communityId: post.communityId, spaceId: post.spaceId });

/**
 * Make the stored mentions of a post, comment or chat message match its text now (a deleted one
 * mentions nobody) and tell the newly mentioned who may read it — those of them `audience` keeps,
 * when given (a chat channel's notification levels). Returns who is mentioned now.
 */
export async function mentionAndNotify(
  env: Env,
  subject: Exclude<Subject, { type: "space" | "conversation" }>,
  source: { communityId: string; authorId: string; body: string; deletedAt: Date | null },
  audience?: (userIds: string[]) => Promise<string[]>,
): Promise<string[]> {
  const mentioned = await resolveMentions(env, source.communityId, source.deletedAt ? "" : source.body);
  const stored = await storeMentions(
    env,
    { communityId: source.communityId, sourceType: subject.type, sourceId: subject.id, authorId: source.authorId },
    mentioned,
  );
  await notify(env, "mention", subject, source.authorId, audience ? await audience(stored) : stored);
  return stored;
}

/**
 * Store the mentions of the post's current body (edited-away ones are removed) and notify those
 * newly mentioned who may read it. Mentions live in the body: the title is plain text.
 */
export async function mentionsOfPost(env: Env, event: DomainEvent<"post.created" | "post.updated" | "post.restored">): Promise<void> {
  const post = await loadPost(env, event.payload.postId);
  if (post) await mentionAndNotify(env, postSubject(post), post);
}

/**
 * Hand the post's followers to the `post.followers` event, which tells them a slice at a time.
 * The continuation's id derives from this event, so running this twice queues one pass.
 */
export async function followersOfPost(env: Env, event: DomainEvent<"post.created" | "post.updated" | "post.restored">): Promise<void> {
  await emitFollowerSlice(env, event, event.payload.postId, "");
}

const emitFollowerSlice = (env: Env, from: DomainEvent, postId: string, after: string) =>
  emitFollowUp(env, from, `followers\n${after}`, {
    kind: "post.followers",
    communityId: from.communityId,
    subject: { type: "post", id: postId },
    payload: { postId, after },
  });

/**
 * One slice of new-post notices: up to FOLLOWER_PAGES_PER_EVENT pages of followers from
 * `after`; if more remain, the next slice is emitted as its own event. A deleted post has nobody
 * left to tell; notify() checks each follower's access to the post as it stands now.
 */
export async function followerSlice(env: Env, event: DomainEvent<"post.followers">): Promise<void> {
  const post = await loadPost(env, event.payload.postId);
  if (!post || post.deletedAt) return;
  let after: string | null = event.payload.after;
  for (let page = 0; page < FOLLOWER_PAGES_PER_EVENT && after !== null; page++) {
    after = await notifyFollowerPage(env, post, after);
  }
  if (after !== null) await emitFollowerSlice(env, event, post.id, after);
}

async function parentAuthor(env: Env, comment: Comment): Promise<string | null> {
  if (!comment.parentId) return null;
  const [row] = await getDb(env)
    .select({ authorId: schema.comments.authorId })
    .from(schema.comments)
    .where(and(eq(schema.comments.id, comment.parentId), eq(schema.comments.postId, comment.postId)))
    .limit(1);
  return row?.authorId ?? null;
}

/**
 * Mentions of a comment (as mentionsOfPost) and, when it was just written, reply notices to the
 * post's author and the parent comment's author — except whoever the comment mentions: a
 * mention wins, nobody gets two notices for one comment.
 */
export async function mentionsAndRepliesOfComment(env: Env, event: DomainEvent<"comment.created" | "comment.updated">): Promise<void> {
  const row = await loadComment(env, event.payload.commentId);
  if (!row) return;
  const { comment, post } = row;
  const subject: Subject & { type: "comment" } = { type: "comment", id: comment.id, postId: post.id, communityId: comment.communityId, spaceId: post.spaceId };
  const stored = await mentionAndNotify(env, subject, comment);
  if (event.kind !== "comment.created" || comment.deletedAt) return;
  const repliedTo = [post.authorId, await parentAuthor(env, comment)].flatMap((id) => (id ? [id] : []));
  await notify(
    env,
    "reply",
    subject,
    comment.authorId,
    repliedTo.filter((id) => !stored.includes(id)),
  );
}

/** Sources of mentions refreshed per `user.renamed` event: ~10 D1 queries each. */
const MENTION_SOURCES_PER_EVENT = 25;

/**
 * A member was renamed or erased: what mentions them is written again with the name shown now —
 * a post's stored excerpt, a chat message's HTML and excerpt (kept in its channel's object), and
 * the search text of posts, comments and chat messages — MENTION_SOURCES_PER_EVENT sources at a
 * time in mention id order, each slice emitting the next. Posts and comments need nothing more:
 * they read names when they render. For an erased member the mention rows themselves go after the
 * last slice (account-data.ts leaves them for this).
 */
export async function refreshMentionsOf(env: Env, event: DomainEvent<"user.renamed">): Promise<void> {
  const { userId, after } = event.payload;
  const db = getDb(env);
  const mt = schema.mentions;
  const rows = await db
    .select({ id: mt.id, sourceType: mt.sourceType, sourceId: mt.sourceId, communityId: mt.communityId })
    .from(mt)
    .where(and(eq(mt.mentionedUserId, userId), gt(mt.id, after)))
    .orderBy(asc(mt.id))
    .limit(MENTION_SOURCES_PER_EVENT);
  for (const row of rows) {
    if (row.sourceType === "post") {
      const post = await loadPost(env, row.sourceId);
      if (post) {
        const names = await mentionNamesOf(env, post.communityId, [post.body]);
        await db.update(schema.posts).set({ excerpt: excerpt(post.body, names) }).where(eq(schema.posts.id, post.id));
      }
    }
    if (row.sourceType === "message") {
      // a chat message's HTML is rendered when written and kept in its channel's object: rendered again there
      const named = parseMessageId(row.sourceId);
      if (named) await channelStub(env, named.channelId).refreshMentions(named.seq);
    }
    await syncSearchDocument(env, { type: row.sourceType, id: row.sourceId });
  }
  if (rows.length === MENTION_SOURCES_PER_EVENT) {
    const last = rows[rows.length - 1].id;
    await emitFollowUp(env, event, `mentions\n${last}`, { kind: "user.renamed", communityId: null, subject: { type: "user", id: userId }, payload: { userId, after: last } });
    return;
  }
  const [user] = await db.select({ deletedAt: schema.users.deletedAt }).from(schema.users).where(eq(schema.users.id, userId)).limit(1);
  if (!user || user.deletedAt) await db.delete(mt).where(eq(mt.mentionedUserId, userId));
}
