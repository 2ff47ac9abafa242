// Writes to the search index (binding SEARCH, migrations-search/). Every write is an idempotent
// upsert or delete keyed by doc_id, so publishing an event twice or rebuilding over a live index is
// harmless. search_fts (trigram) and search_grams (CJK unigrams and bigrams, ADR 016) are
// external-content FTS5 tables over search_docs: before a search_docs row changes, each one's
// 'delete' command is given the stored values, and after it the row is indexed again, in the same
// batch.
import { cleanText } from "../../lib/text";
import type { Comment, Post } from "../discussions/access";
import { plainText } from "./plain-text";
import { cjkGrams } from "./plan";

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
const GRAM_COLUMNS = `title_grams, body_grams, ${FTS_COLUMNS}`;
/** The FTS5 tables over search_docs and the columns each was declared with (migrations-search/). */
const FTS_TABLES = [
  ["search_fts", FTS_COLUMNS],
  ["search_grams", GRAM_COLUMNS],
] as const;
/**
 * SEARCH statements one document's upsert costs: a 'delete' per FTS table, the row's delete and
 * insert, an insert per FTS table. Callers that count D1's 1,000 queries per invocation use it.
 */
export const STATEMENTS_PER_DOC = 2 + 2 * FTS_TABLES.length;
const DOCS_PER_BATCH = 50;

export const postDoc = (post: Post): SearchDoc => ({
  docId: post.id,
  kind: "post",
  communityId: post.communityId,
  spaceId: post.spaceId,
  postId: post.id,
  createdAt: post.createdAt.getTime(),
  title: cleanText(post.title),
  body: plainText(cleanText(post.body)),
});

// a comment has no title of its own; results show its post's title, read from the main database
export const commentDoc = (comment: Comment, post: Pick<Post, "spaceId">): SearchDoc => ({
  docId: comment.id,
  kind: "comment",
  communityId: comment.communityId,
  spaceId: post.spaceId,
  postId: comment.postId,
  createdAt: comment.createdAt.getTime(),
  title: "",
  body: plainText(cleanText(comment.body)),
});

/** Each FTS table forgets the rows `where` selects, as stored (`where` binds `values`). */
export const unindexStatements = (search: D1Database, where: string, ...values: (string | number)[]) =>
  FTS_TABLES.map(([table, columns]) =>
    search
      .prepare(`INSERT INTO ${table}(${table}, rowid, ${columns}) SELECT 'delete', rowid, ${columns} FROM search_docs WHERE ${where}`)
      .bind(...values),
  );

/** Each FTS table indexes the rows `where` selects, as stored. */
export const reindexStatements = (search: D1Database, where: string, ...values: (string | number)[]) =>
  FTS_TABLES.map(([table, columns]) =>
    search.prepare(`INSERT INTO ${table}(rowid, ${columns}) SELECT rowid, ${columns} FROM search_docs WHERE ${where}`).bind(...values),
  );

function forgetStatements(search: D1Database, where: string, ...values: (string | number)[]): D1PreparedStatement[] {
  return [...unindexStatements(search, where, ...values), search.prepare(`DELETE FROM search_docs WHERE ${where}`).bind(...values)];
}

function upsertStatements(search: D1Database, doc: SearchDoc): D1PreparedStatement[] {
  return [
    ...forgetStatements(search, "doc_id = ?", doc.docId),
    search
      .prepare(`INSERT INTO search_docs (${GRAM_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
      .bind(cjkGrams(doc.title), cjkGrams(doc.body), doc.title, doc.body, doc.docId, doc.kind, doc.communityId, doc.spaceId, doc.postId, doc.createdAt),
    ...reindexStatements(search, "doc_id = ?", doc.docId),
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

/** A post and every comment under it. */
export async function removePostDocuments(env: Env, postId: string): Promise<void> {
  await env.SEARCH.batch(forgetStatements(env.SEARCH, "post_id = ?", postId));
}

/** Everything of one community (before a rebuild), or the whole index. */
export async function clearIndex(env: Env, communityId?: string): Promise<void> {
  if (communityId) {
    await env.SEARCH.batch(forgetStatements(env.SEARCH, "community_id = ?", communityId));
    return;
  }
  await env.SEARCH.batch([
    env.SEARCH.prepare("DELETE FROM search_docs"),
    ...FTS_TABLES.map(([table]) => env.SEARCH.prepare(`INSERT INTO ${table}(${table}) VALUES ('rebuild')`)),
  ]);
}

/**
 * Every post and comment of one space (archived), in one batch whatever the space's size; the
 * (community_id, space_id) index reads only the space's rows (ADR 008).
 */
export async function removeSpace(env: Env, communityId: string, spaceId: string): Promise<void> {
  await env.SEARCH.batch(forgetStatements(env.SEARCH, "community_id = ? AND space_id = ?", communityId, spaceId));
}
