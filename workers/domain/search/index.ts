// Writes to the search index (binding SEARCH, migrations-search/). Every write is an idempotent
// upsert or delete keyed by doc_id, so publishing an event twice or rebuilding over a live index is
// harmless. search_fts (trigram) is an external-content FTS5 table over search_docs: before a
// search_docs row changes, FTS5's 'delete' command is given the stored values. search_grams (CJK
// unigrams and bigrams, ADR 016) is contentless: a document leaves it by rowid and enters it with
// grams computed here. All in the same batch as the search_docs change.
import { withMentionNames } from "../../lib/mention-tokens";
import { cleanText } from "../../lib/text";
import type { Comment, Post } from "../discussions/access";
import { plainText } from "./plain-text";
import { cjkGrams, gramsScope } from "./plan";

export type SearchDoc = {
  docId: string;
  kind: "post" | "comment" | "message";
  communityId: string;
  spaceId: string;
  /** a message's is "": it belongs to no post (its id names its channel and seq) */
  postId: string;
  createdAt: number;
  title: string;
  body: string;
};

const FTS_COLUMNS = "title, body, doc_id, kind, community_id, space_id, post_id, created_at";
/**
 * SEARCH statements one document's upsert costs at most: the trigram 'delete', the grams delete,
 * the row's delete and insert, the trigram insert, the grams insert (only with CJK letters).
 * Callers that count D1's 1,000 queries per invocation use it.
 */
export const STATEMENTS_PER_DOC = 6;
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

/**
 * A chat message's document (ADR 025): its channel is the space, it has no title (results show
 * the channel's name) and no post. `message.body` is the stored Markdown with mention tokens;
 * `names` as for postDoc. `createdAt`: ISO 8601, as the wire protocol carries it.
 */
export const messageDoc = (
  message: { id: string; body: string; createdAt: string },
  channel: { id: string; communityId: string },
  names: ReadonlyMap<string, string> = new Map(),
): SearchDoc => ({
  docId: message.id,
  kind: "message",
  communityId: channel.communityId,
  spaceId: channel.id,
  postId: "",
  createdAt: Date.parse(message.createdAt),
  title: "",
  body: plainText(withMentionNames(cleanText(message.body), names)),
});

/** Both indexes forget the documents `where` selects in search_docs (`where` binds `values`). */
const unindexStatements = (search: D1Database, where: string, ...values: (string | number)[]) => [
  search
    .prepare(`INSERT INTO search_fts(search_fts, rowid, ${FTS_COLUMNS}) SELECT 'delete', rowid, ${FTS_COLUMNS} FROM search_docs WHERE ${where}`)
    .bind(...values),
  search.prepare(`DELETE FROM search_grams WHERE rowid IN (SELECT rowid FROM search_docs WHERE ${where})`).bind(...values),
];

function forgetStatements(search: D1Database, where: string, ...values: (string | number)[]): D1PreparedStatement[] {
  return [...unindexStatements(search, where, ...values), search.prepare(`DELETE FROM search_docs WHERE ${where}`).bind(...values)];
}

function upsertStatements(search: D1Database, doc: SearchDoc): D1PreparedStatement[] {
  const titleGrams = cjkGrams(doc.title);
  const bodyGrams = cjkGrams(doc.body);
  return [
    ...forgetStatements(search, "doc_id = ?", doc.docId),
    search
      .prepare(`INSERT INTO search_docs (${FTS_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`)
      .bind(doc.title, doc.body, doc.docId, doc.kind, doc.communityId, doc.spaceId, doc.postId, doc.createdAt),
    search
      .prepare(`INSERT INTO search_fts(rowid, ${FTS_COLUMNS}) SELECT rowid, ${FTS_COLUMNS} FROM search_docs WHERE doc_id = ?`)
      .bind(doc.docId),
    // a document without CJK letters is never a grams match: it stays out of that index
    ...(titleGrams || bodyGrams
      ? [
          search
            .prepare("INSERT INTO search_grams(rowid, title_grams, body_grams, scope) SELECT rowid, ?, ?, ? FROM search_docs WHERE doc_id = ?")
            .bind(titleGrams, bodyGrams, gramsScope(doc.communityId, doc.spaceId), doc.docId),
        ]
      : []),
  ];
}

export async function indexDocuments(env: Env, docs: SearchDoc[]): Promise<void> {
  for (let i = 0; i < docs.length; i += DOCS_PER_BATCH) {
    await env.SEARCH.batch(docs.slice(i, i + DOCS_PER_BATCH).flatMap((doc) => upsertStatements(env.SEARCH, doc)));
  }
}

export const indexDocument = (env: Env, doc: SearchDoc) => indexDocuments(env, [doc]);

export async function removeDocument(env: Env, docId: string): Promise<void> {
  await env.SEARCH.batch(forgetStatements(env.SEARCH, "doc_id = ?", docId));
}

/** The documents with these ids (one batch of three statements, any count: a JSON array bound once). */
export async function removeDocuments(env: Env, docIds: string[]): Promise<void> {
  if (docIds.length === 0) return;
  await env.SEARCH.batch(forgetStatements(env.SEARCH, "doc_id IN (SELECT value FROM json_each(?))", JSON.stringify(docIds)));
}

/** A post and every comment under it. */
export async function removePostDocuments(env: Env, postId: string): Promise<void> {
  await env.SEARCH.batch(forgetStatements(env.SEARCH, "post_id = ?", postId));
}

/**
 * Everything of one community (before a rebuild), or the whole index — except chat messages: they
 * live in the channels' Durable Objects, not in the main database a rebuild reads, so a rebuild
 * could not bring them back; the spine keeps them current (ADR 025).
 */
export async function clearIndex(env: Env, communityId?: string): Promise<void> {
  if (communityId) {
    await env.SEARCH.batch(forgetStatements(env.SEARCH, "community_id = ? AND kind != 'message'", communityId));
    return;
  }
  await env.SEARCH.batch([
    env.SEARCH.prepare("DELETE FROM search_grams WHERE rowid IN (SELECT rowid FROM search_docs WHERE kind != 'message')"),
    env.SEARCH.prepare("DELETE FROM search_docs WHERE kind != 'message'"),
    env.SEARCH.prepare("INSERT INTO search_fts(search_fts) VALUES ('rebuild')"),
  ]);
}

/**
 * Every post, comment and chat message of one space (archived), in one batch whatever the space's size; the
 * (community_id, space_id) index reads only the space's rows (ADR 008).
 */
export async function removeSpace(env: Env, communityId: string, spaceId: string): Promise<void> {
  await env.SEARCH.batch(forgetStatements(env.SEARCH, "community_id = ? AND space_id = ?", communityId, spaceId));
}
