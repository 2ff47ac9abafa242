// Rebuild the search index from the main database, inside a Worker. D1 allows 1,000 queries per
// invocation and each document costs STATEMENTS_PER_DOC statements, so one call indexes at most `maxDocs`
// documents and returns where it stopped; the caller (a queue message, a cron tick or a loop in a
// script) passes `next` back until it is null. scripts/reindex.mjs does the same from outside.
import { and, asc, eq, gt, inArray, isNull, type SQL } from "drizzle-orm";
import { getDb, schema } from "../../db/client";
import type { Comment, Post } from "../discussions/access";
import { mentionNamesOf } from "../notifications/mentions";
import { gramsDoneStatement } from "./grams-backfill";
import { clearIndex, commentDoc, indexDocuments, postDoc, type SearchDoc } from "./index";
import { chunk, ID_CHUNK } from "../readable";

export type RebuildCursor = { phase: "posts" | "comments"; afterSeq: number };
export type RebuildProgress = { indexed: number; next: RebuildCursor | null };

const PAGE = 50;

/** What belongs in the index: not deleted, not hidden, in a space that is not archived. */
function indexablePosts(env: Env, where: SQL | undefined, limit: number) {
  const p = schema.posts;
  return getDb(env)
    .select({ post: p })
    .from(p)
    .innerJoin(schema.spaces, eq(schema.spaces.id, p.spaceId))
    .where(and(where, isNull(p.deletedAt), isNull(p.hiddenAt), isNull(schema.spaces.archivedAt)))
    .orderBy(asc(p.seq))
    .limit(limit);
}

function indexableComments(env: Env, where: SQL | undefined, limit: number) {
  const c = schema.comments;
  const p = schema.posts;
  return getDb(env)
    .select({ comment: c, spaceId: p.spaceId })
    .from(c)
    .innerJoin(p, eq(p.id, c.postId))
    .innerJoin(schema.spaces, eq(schema.spaces.id, p.spaceId))
    .where(
      and(where, isNull(c.deletedAt), isNull(c.hiddenAt), isNull(p.deletedAt), isNull(p.hiddenAt), isNull(schema.spaces.archivedAt)),
    )
    .orderBy(asc(c.seq))
    .limit(limit);
}

const postPage = (env: Env, communityId: string | undefined, afterSeq: number) =>
  indexablePosts(env, and(communityId ? eq(schema.posts.communityId, communityId) : undefined, gt(schema.posts.seq, afterSeq)), PAGE);

const commentPage = (env: Env, communityId: string | undefined, afterSeq: number) =>
  indexableComments(
    env,
    and(communityId ? eq(schema.comments.communityId, communityId) : undefined, gt(schema.comments.seq, afterSeq)),
    PAGE,
  );

/** The mentioned members' names for texts of several communities (mentionNamesOf, per community). */
async function namesByCommunity(env: Env, texts: Array<{ communityId: string; body: string }>): Promise<(communityId: string) => Map<string, string>> {
  const byCommunity = new Map<string, string[]>();
  for (const { communityId, body } of texts) if (body.includes("<@")) byCommunity.set(communityId, [...(byCommunity.get(communityId) ?? []), body]);
  const names = new Map<string, Map<string, string>>();
  for (const [communityId, bodies] of byCommunity) names.set(communityId, await mentionNamesOf(env, communityId, bodies));
  return (communityId) => names.get(communityId) ?? new Map();
}

async function postDocs(env: Env, rows: Array<{ post: Post }>): Promise<SearchDoc[]> {
  const names = await namesByCommunity(env, rows.map(({ post }) => post));
  return rows.map(({ post }) => postDoc(post, names(post.communityId)));
}

async function commentDocs(env: Env, rows: Array<{ comment: Comment; spaceId: string }>): Promise<SearchDoc[]> {
  const names = await namesByCommunity(env, rows.map(({ comment }) => comment));
  return rows.map(({ comment, spaceId }) => commentDoc(comment, { spaceId }, names(comment.communityId)));
}

/**
 * Index again the posts or comments with these ids whose stored text changed (the text backfill),
 * skipping those that do not belong in the index. D1 queries: one read per ID_CHUNK ids,
 * STATEMENTS_PER_DOC SEARCH statements per indexed document.
 */
export async function reindexDocuments(env: Env, kind: "post" | "comment", ids: string[]): Promise<number> {
  let indexed = 0;
  for (const part of chunk(ids, ID_CHUNK)) {
    const docs =
      kind === "post"
        ? await postDocs(env, await indexablePosts(env, inArray(schema.posts.id, part), part.length))
        : await commentDocs(env, await indexableComments(env, inArray(schema.comments.id, part), part.length));
    await indexDocuments(env, docs);
    indexed += docs.length;
  }
  return indexed;
}

export async function rebuildSearchIndex(
  env: Env,
  communityId?: string,
  resume?: RebuildCursor,
  maxDocs = 150,
): Promise<RebuildProgress> {
  if (!resume) await clearIndex(env, communityId);
  let cursor: RebuildCursor = resume ?? { phase: "posts", afterSeq: 0 };
  let indexed = 0;
  while (indexed < maxDocs) {
    if (cursor.phase === "posts") {
      const rows = await postPage(env, communityId, cursor.afterSeq);
      await indexDocuments(env, await postDocs(env, rows));
      indexed += rows.length;
      cursor = rows.length < PAGE ? { phase: "comments", afterSeq: 0 } : { phase: "posts", afterSeq: rows[rows.length - 1].post.seq };
    } else {
      const rows = await commentPage(env, communityId, cursor.afterSeq);
      await indexDocuments(env, await commentDocs(env, rows));
      indexed += rows.length;
      if (rows.length < PAGE) {
        // every document of the index was written with its CJK grams: the grams backfill is done
        if (!communityId) await env.SEARCH.batch([gramsDoneStatement(env.SEARCH)]);
        return { indexed, next: null };
      }
      cursor = { phase: "comments", afterSeq: rows[rows.length - 1].comment.seq };
    }
  }
  return { indexed, next: cursor };
}
