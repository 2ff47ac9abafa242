// Writes to the search index (binding SEARCH, migrations-search/0001_fts.sql). Every write is an
// idempotent upsert or delete keyed by doc_id, so publishing an event twice or rebuilding over a
// live index is harmless. search_fts is an external-content FTS5 table over search_docs: before a
// search_docs row changes, FTS5's 'delete' command is given the stored values, in the same batch.
import { withMentionNames } from "../../lib/mention-tokens";
import { cleanText } from "../../lib/text";
import type { Comment, Post } from "../discussions/access";
import { plainText } from "./plain-text";

export type SearchDoc = {
  docId: string;
  kind: "post" | "comment";
  communityId: string;
  spaceId: string;
  postId: string;
  createdAt: number;
  title: string;
  body: string;
};

const FTS_COLUMNS = "title, body, doc_id, kind, community_id, space_id, post_id, created_at";
/** Statements per SEARCH batch: four per document. */
const DOCS_PER_BATCH = 50;

/**
 * A post's document. `names`: the current names of the members its body mentions
 * (notifications/mentions.ts mentionNamesOf), so "@Name" is found by the name shown today; a
 * renamed or erased member's posts are indexed again through the spine (user.renamed).
 */
export const postDoc = (post: Post, names: ReadonlyMap<string, string> = new Map()): SearchDoc => ({
  docId: post.id,
  kind: "post",
  communityId: post.communityId,
  spaceId: post.spaceId,
  postId: post.id,
  createdAt: post.createdAt.getTime(),
  title: cleanText(post.title),
  body: plainText(withMentionNames(cleanText(post.body), names)),
});

// a comment has no title of its own; results show its post's title, read from the main database
export const commentDoc = (comment: Comment, post: Pick<Post, "spaceId">, names: ReadonlyMap<string, string> = new Map()): SearchDoc => ({
  docId: comment.id,
  kind: "comment",
  communityId: comment.communityId,
  spaceId: post.spaceId,
  postId: comment.postId,
  createdAt: comment.createdAt.getTime(),
  title: "",
  body: plainText(withMentionNames(cleanText(comment.body), names)),
});

function forgetStatements(search: D1Database, where: string, value: string): D1PreparedStatement[] {
  return [
    search
      .prepare(
        `INSERT INTO search_fts(search_fts, rowid, ${FTS_COLUMNS}) SELECT 'delete', rowid, ${FTS_COLUMNS} FROM search_docs WHERE ${where} = ?`,
      )
      .bind(value),
    search.prepare(`DELETE FROM search_docs WHERE ${where} = ?`).bind(value),
  ];
}

function upsertStatements(search: D1Database, doc: SearchDoc): D1PreparedStatement[] {
  return [
    ...forgetStatements(search, "doc_id", doc.docId),
    search
      .prepare(`INSERT INTO search_docs (${FTS_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`)
      .bind(doc.title, doc.body, doc.docId, doc.kind, doc.communityId, doc.spaceId, doc.postId, doc.createdAt),
    search
      .prepare(`INSERT INTO search_fts(rowid, ${FTS_COLUMNS}) SELECT rowid, ${FTS_COLUMNS} FROM search_docs WHERE doc_id = ?`)
      .bind(doc.docId),
  ];
}

export async function indexDocuments(env: Env, docs: SearchDoc[]): Promise<void> {
  for (let i = 0; i < docs.length; i += DOCS_PER_BATCH) {
    await env.SEARCH.batch(docs.slice(i, i + DOCS_PER_BATCH).flatMap((doc) => upsertStatements(env.SEARCH, doc)));
  }
}

export const indexDocument = (env: Env, doc: SearchDoc) => indexDocuments(env, [doc]);

export async function removeDocument(env: Env, docId: string): Promise<void> {
  await env.SEARCH.batch(forgetStatements(env.SEARCH, "doc_id", docId));
}

/** A post and every comment under it. */
export async function removePostDocuments(env: Env, postId: string): Promise<void> {
  await env.SEARCH.batch(forgetStatements(env.SEARCH, "post_id", postId));
}

/** Everything of one community (before a rebuild), or the whole index. */
export async function clearIndex(env: Env, communityId?: string): Promise<void> {
  if (communityId) {
    await env.SEARCH.batch(forgetStatements(env.SEARCH, "community_id", communityId));
    return;
  }
  await env.SEARCH.batch([
    env.SEARCH.prepare("DELETE FROM search_docs"),
    env.SEARCH.prepare("INSERT INTO search_fts(search_fts) VALUES ('rebuild')"),
  ]);
}

/**
 * Every post and comment of one space (archived), in one batch whatever the space's size; the
 * (community_id, space_id) index reads only the space's rows (ADR 008).
 */
export async function removeSpace(env: Env, communityId: string, spaceId: string): Promise<void> {
  const where = "community_id = ? AND space_id = ?";
  await env.SEARCH.batch([
    env.SEARCH.prepare(
      `INSERT INTO search_fts(search_fts, rowid, ${FTS_COLUMNS}) SELECT 'delete', rowid, ${FTS_COLUMNS} FROM search_docs WHERE ${where}`,
    ).bind(communityId, spaceId),
    env.SEARCH.prepare(`DELETE FROM search_docs WHERE ${where}`).bind(communityId, spaceId),
  ]);
}
