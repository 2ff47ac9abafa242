// The spine's search handler (ADR 014): make the index's document for a subject match what is
// stored now. A subject is named by type and id — a post, a comment, a chat message; next a DM,
// an event — and each type says how its document is loaded and what "gone" removes. Whatever the
// event (created, edited, hidden, deleted), the handler does the same thing: load, then upsert or
// remove. That is idempotent, and a late or repeated event cannot undo a newer change.
import { and, asc, eq, gt } from "drizzle-orm";
import { getDb, schema } from "../../db/client";
import { commentDoc, indexDocument, indexDocuments, messageDoc, postDoc, removeDocument, removeDocuments, removePostDocuments, type SearchDoc } from "./index";
import { channelStub, chatChannelOf, loadChatMessage } from "../chat/channels";
import { messageIdOf } from "../../../durable-objects/protocol";
import { reindexDocuments } from "./rebuild";
import { mentionNamesOf } from "../notifications/mentions";
import { emitFollowUp } from "../events/emit";
import type { DomainEvent } from "../events/kinds";

export type SearchSubject = { type: "post" | "comment" | "message"; id: string };

/** What the index should hold for a subject now: its document, or nothing (and what goes with it). */
type Indexing = { doc: SearchDoc } | { remove: "subject" | "thread" };

/** For each subject type, how its stored row decides its document. */
const subjects: Record<SearchSubject["type"], (env: Env, id: string) => Promise<Indexing>> = {
  async post(env, id) {
    const p = schema.posts;
    const [row] = await getDb(env)
      .select({ post: p, archivedAt: schema.spaces.archivedAt })
      .from(p)
      .innerJoin(schema.spaces, eq(schema.spaces.id, p.spaceId))
      .where(eq(p.id, id))
      .limit(1);
    // deleted, hidden or archived: the post and every comment under it leave (showing a hidden
    // post again brings its comments back: post.restored, searchThreadSlice)
    if (!row || row.post.deletedAt || row.post.hiddenAt || row.archivedAt) return { remove: "thread" };
    return { doc: postDoc(row.post, await mentionNamesOf(env, row.post.communityId, [row.post.body])) };
  },
  async comment(env, id) {
    const c = schema.comments;
    const p = schema.posts;
    const [row] = await getDb(env)
      .select({ comment: c, spaceId: p.spaceId, postGone: p.deletedAt, postHidden: p.hiddenAt, archivedAt: schema.spaces.archivedAt })
      .from(c)
      .innerJoin(p, eq(p.id, c.postId))
      .innerJoin(schema.spaces, eq(schema.spaces.id, p.spaceId))
      .where(eq(c.id, id))
      .limit(1);
    if (!row || row.comment.deletedAt || row.comment.hiddenAt || row.postGone || row.postHidden || row.archivedAt) return { remove: "subject" };
    return { doc: commentDoc(row.comment, { spaceId: row.spaceId }, await mentionNamesOf(env, row.comment.communityId, [row.comment.body])) };
  },
  // read from its channel's object (D1 holds no message): deleted, erased, or in an archived
  // space, it leaves
  async message(env, id) {
    const loaded = await loadChatMessage(env, id);
    if (!loaded?.live) return { remove: "subject" };
    const { channel, found } = loaded;
    return { doc: messageDoc(found.message, channel, await mentionNamesOf(env, channel.communityId, [found.message.body])) };
  },
};

/**
 * Bring the subject's search document in line with the stored row: upsert it if it should be
 * found, remove it (a post with its comments) if not. D1: one read, one SEARCH batch.
 */
export async function syncSearchDocument(env: Env, subject: SearchSubject): Promise<void> {
  const indexing = await subjects[subject.type](env, subject.id);
  if ("doc" in indexing) await indexDocument(env, indexing.doc);
  else if (indexing.remove === "thread") await removePostDocuments(env, subject.id);
  else await removeDocument(env, subject.id);
}

/**
 * Index the chat messages `seqs` of one channel together (the `chat.indexed` event of one outbox
 * forward): live ones upserted in one SEARCH batch, deleted, erased or archived ones removed.
 * D1: one read of the space and one of mention names; one object call; one or two SEARCH batches.
 */
export async function syncChatMessages(env: Env, channelId: string, seqs: number[]): Promise<void> {
  // a chat space's or a DM conversation's (indexed under the conversation's id: query.ts shows it to its participants only)
  const channel = await chatChannelOf(env, channelId);
  if (!channel) return;
  const found = await channelStub(env, channel.id).messagesBySeq(seqs);
  const live = channel.archived ? [] : found.filter((f) => !f.deleted);
  const liveSeqs = new Set(live.map((f) => f.seq));
  const names = await mentionNamesOf(env, channel.communityId, live.map((f) => f.message.body));
  await indexDocuments(env, live.map((f) => messageDoc(f.message, channel, names)));
  await removeDocuments(env, seqs.filter((seq) => !liveSeqs.has(seq)).map((seq) => messageIdOf(channel.id, seq)));
}

/** Comments indexed per slice of a thread: STATEMENTS_PER_DOC SEARCH statements each, under 1,000 queries an invocation. */
export const THREAD_SLICE = 100;

/**
 * Index the comments of a post that may be found again (shown after being hidden), THREAD_SLICE
 * at a time in seq order after `afterSeq`. Returns the seq to continue after, or null when done.
 * Comments that must not be found (deleted, hidden) are skipped; rebuild.ts decides which.
 */
export async function searchThreadSlice(env: Env, postId: string, afterSeq: number): Promise<number | null> {
  const c = schema.comments;
  const rows = await getDb(env)
    .select({ id: c.id, seq: c.seq })
    .from(c)
    .where(and(eq(c.postId, postId), gt(c.seq, afterSeq)))
    .orderBy(asc(c.seq))
    .limit(THREAD_SLICE);
  await reindexDocuments(
    env,
    "comment",
    rows.map((r) => r.id),
  );
  return rows.length < THREAD_SLICE ? null : rows[rows.length - 1].seq;
}

/**
 * The spine's search handler for a post shown again: the post back in the index now, its comments
 * in slices (post.comments_restored), each slice emitting the next.
 */
export async function restoreThread(env: Env, event: DomainEvent<"post.restored" | "post.comments_restored">): Promise<void> {
  const { postId } = event.payload;
  if (event.kind === "post.restored") await syncSearchDocument(env, { type: "post", id: postId });
  const afterSeq = "afterSeq" in event.payload ? event.payload.afterSeq : 0;
  const next = await searchThreadSlice(env, postId, afterSeq);
  if (next === null) return;
  await emitFollowUp(env, event, `comments\n${next}`, {
    kind: "post.comments_restored",
    communityId: event.communityId,
    subject: { type: "post", id: postId },
    payload: { postId, afterSeq: next },
  });
}
