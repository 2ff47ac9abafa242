// All side effects of a content change go through here, after the D1 write has committed
// (CONVENTIONS.md #10): search indexing, mentions, notifications — and later the realtime fan-out.
// Each effect is idempotent (upserts, INSERT OR IGNORE on unique keys), so publishing an event
// again repairs a half-done run. One failing effect is logged and does not stop the others: the
// content is already saved, and the index can be rebuilt (scripts/reindex.mjs).
//
// Effects whose cost grows with a space's audience (new-post notices to its followers) do not run
// in the request: publish sends a ContentJob to the content queue and runContentJob does the work
// a bounded slice at a time in the consumer (ADR 008). Mentions and replies, a few people each,
// stay inline so that they are there when the author's request returns.
import { and, eq } from "drizzle-orm";
import { z } from "zod";
import { getDb, schema } from "../db/client";
import { notify, notifyFollowerPage, type Subject } from "./notifications/deliver";
import { MAX_MENTIONS, resolveMentions, storeMentions } from "./notifications/mentions";
import { commentDoc, indexDocument, postDoc, removeDocument, removePostDocuments, removeSpace } from "./search/index";

export type Post = typeof schema.posts.$inferSelect;
export type Comment = typeof schema.comments.$inferSelect;

export type ContentEvent =
  | { type: "post.created"; post: Post }
  | { type: "post.updated"; post: Post }
  /** deleted, hidden, or its space archived: drop from search, notifications stop showing it */
  | { type: "post.removed"; post: Post }
  | { type: "comment.created"; comment: Comment; post: Post }
  | { type: "comment.updated"; comment: Comment; post: Post }
  | { type: "comment.removed"; comment: Comment; post: Post }
  /** every post and comment of the space leaves search at once; notifications are filtered at read time */
  | { type: "space.archived"; space: { id: string; communityId: string } };

/** How many pages of followers (FOLLOWER_PAGE each) one queue message handles before handing on. */
const FOLLOWER_PAGES_PER_JOB = 2;

/**
 * A queue message for the content queue. `after` is where the previous message stopped (a follower's
 * user id, "" at the start); `except` are the people already told of the post by a mention.
 */
export const contentJobSchema = z.object({
  job: z.literal("notify_followers"),
  postId: z.string().min(1),
  except: z.array(z.string()).max(MAX_MENTIONS),
  after: z.string(),
});
export type ContentJob = z.infer<typeof contentJobSchema>;

async function attempt(label: string, event: ContentEvent, effect: () => Promise<unknown>): Promise<void> {
  try {
    await effect();
  } catch (error) {
    const id = "comment" in event ? event.comment.id : "post" in event ? event.post.id : event.space.id;
    console.error(JSON.stringify({ at: "publish", effect: label, event: event.type, id, error: String(error) }));
  }
}

/** Mentions are stored on create and on edit; the notification key makes "new mentions only" hold. */
async function mentionAndNotify(env: Env, subject: Subject, text: string, sourceType: "post" | "comment"): Promise<string[]> {
  const mentioned = await resolveMentions(env, subject.post.communityId, text);
  const stored = await storeMentions(
    env,
    {
      communityId: subject.post.communityId,
      sourceType,
      sourceId: subject.comment?.id ?? subject.post.id,
      authorId: subject.actorId,
    },
    mentioned,
  );
  return notify(env, "mention", subject, stored);
}

async function postWritten(env: Env, post: Post, event: ContentEvent): Promise<void> {
  const subject: Subject = { post, actorId: post.authorId };
  await attempt("index", event, () => indexDocument(env, postDoc(post)));
  let mentioned: string[] = [];
  await attempt("mentions", event, async () => {
    mentioned = await mentionAndNotify(env, subject, `${post.title}\n${post.body}`, "post");
  });
  // an edit can make a post readable to followers (approved after review): they hear of it once
  await attempt("followers", event, () =>
    env.CONTENT_QUEUE.send({ job: "notify_followers", postId: post.id, except: mentioned, after: "" } satisfies ContentJob),
  );
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

async function commentWritten(env: Env, comment: Comment, post: Post, event: ContentEvent): Promise<void> {
  const subject: Subject = { post, comment, actorId: comment.authorId };
  await attempt("index", event, () => indexDocument(env, commentDoc(comment, post)));
  let mentioned: string[] = [];
  await attempt("mentions", event, async () => {
    mentioned = await mentionAndNotify(env, subject, comment.body, "comment");
  });
  if (event.type !== "comment.created") return;
  // a mention wins: whoever was just notified of being mentioned gets no reply notice as well
  await attempt("replies", event, async () => {
    const repliedTo = [post.authorId, await parentAuthor(env, comment)].flatMap((id) => (id ? [id] : []));
    await notify(
      env,
      "reply",
      subject,
      repliedTo.filter((id) => !mentioned.includes(id)),
    );
  });
}

export async function publish(env: Env, event: ContentEvent): Promise<void> {
  switch (event.type) {
    case "post.created":
    case "post.updated":
      return postWritten(env, event.post, event);
    case "comment.created":
    case "comment.updated":
      return commentWritten(env, event.comment, event.post, event);
    case "post.removed":
      return attempt("unindex", event, () => removePostDocuments(env, event.post.id));
    case "comment.removed":
      return attempt("unindex", event, () => removeDocument(env, event.comment.id));
    case "space.archived":
      return attempt("unindex", event, () => removeSpace(env, event.space.communityId, event.space.id));
  }
}

/**
 * The queued half of publishing: up to FOLLOWER_PAGES_PER_JOB pages of followers. Returns the job
 * that carries on from where this one stopped, or null when done. Safe to run twice (a queue
 * delivers at least once): the notification's unique key makes a repeated insert a no-op.
 */
export async function runContentJob(env: Env, job: ContentJob): Promise<ContentJob | null> {
  const [post] = await getDb(env).select().from(schema.posts).where(eq(schema.posts.id, job.postId)).limit(1);
  // deleted meanwhile: nobody may read it, so there is nobody to tell
  if (!post || post.deletedAt) return null;
  const subject = { post, actorId: post.authorId };
  const except = new Set(job.except);
  let after: string | null = job.after;
  for (let page = 0; page < FOLLOWER_PAGES_PER_JOB && after !== null; page++) {
    after = await notifyFollowerPage(env, subject, except, after);
  }
  return after === null ? null : { ...job, after };
}
