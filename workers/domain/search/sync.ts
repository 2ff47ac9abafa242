// The spine's search handler (ADR 014): make the index's document for a subject match what is
// stored now. A subject is named by type and id — a post, a comment; next a chat message, a DM,
// an event — and each type says how its document is loaded and what "gone" removes. Whatever the
// event (created, edited, hidden, deleted), the handler does the same thing: load, then upsert or
// remove. That is idempotent, and a late or repeated event cannot undo a newer change.
import { eq } from "drizzle-orm";
import { getDb, schema } from "../../db/client";
import { commentDoc, indexDocument, postDoc, removeDocument, removePostDocuments, removeSpace, type SearchDoc } from "./index";

export type SearchSubject = { type: "post" | "comment"; id: string };

type SubjectIndexing = {
  /** the document as it should be indexed now, or null when the subject must not be found */
  load: (env: Env, id: string) => Promise<SearchDoc | null>;
  /** what leaves the index when the subject is gone (a post takes its comments with it) */
  remove: (env: Env, id: string) => Promise<void>;
};

const subjects: Record<SearchSubject["type"], SubjectIndexing> = {
  post: {
    async load(env, id) {
      const p = schema.posts;
      const [row] = await getDb(env)
        .select({ post: p, archivedAt: schema.spaces.archivedAt })
        .from(p)
        .innerJoin(schema.spaces, eq(schema.spaces.id, p.spaceId))
        .where(eq(p.id, id))
        .limit(1);
      if (!row || row.post.deletedAt || row.post.hiddenAt || row.archivedAt) return null;
      return postDoc(row.post);
    },
    remove: removePostDocuments,
  },
  comment: {
    async load(env, id) {
      const c = schema.comments;
      const p = schema.posts;
      const [row] = await getDb(env)
        .select({ comment: c, spaceId: p.spaceId, postGone: p.deletedAt, postHidden: p.hiddenAt, archivedAt: schema.spaces.archivedAt })
        .from(c)
        .innerJoin(p, eq(p.id, c.postId))
        .innerJoin(schema.spaces, eq(schema.spaces.id, p.spaceId))
        .where(eq(c.id, id))
        .limit(1);
      if (!row || row.comment.deletedAt || row.comment.hiddenAt || row.postGone || row.postHidden || row.archivedAt) return null;
      return commentDoc(row.comment, { spaceId: row.spaceId });
    },
    remove: removeDocument,
  },
};

/**
 * Bring the subject's search document in line with the stored row: upsert it if it should be
 * found, remove it (and, for a post, its comments) if not. D1: one read, then one SEARCH batch.
 */
export async function syncSearchDocument(env: Env, subject: SearchSubject): Promise<void> {
  const indexing = subjects[subject.type];
  const doc = await indexing.load(env, subject.id);
  if (doc) await indexDocument(env, doc);
  else await indexing.remove(env, subject.id);
}
