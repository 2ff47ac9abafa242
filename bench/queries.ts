// The feed SQL the benchmark's minimal Worker and raw-SQLite timings run: the page query of
// listPosts (workers/domain/discussions/posts.ts) for a member who is not a moderator — newest
// first by seq, unpinned, not deleted, visible or the reader's own, with the author joined; the
// post without its body (a feed shows the stored excerpt).
// The search SQL is not repeated here: both import workers/domain/search/plan.ts.
export const FEED_SQL = `
SELECT p.seq, p.id, p.community_id, p.space_id, p.author_id, p.title, p.excerpt, p.moderation_status,
       p.comment_count, p.pinned_at, p.locked_at, p.hidden_at, p.edited_at, p.deleted_at, p.created_at,
       u.id AS author_id2, u.name AS author_name, u.avatar_url, u.deleted_at AS author_deleted_at
FROM posts p JOIN users u ON u.id = p.author_id
WHERE p.space_id = ?1
  AND p.deleted_at IS NULL
  AND ((p.hidden_at IS NULL AND p.moderation_status = 'visible') OR p.author_id = ?2)
  AND p.pinned_at IS NULL
  AND p.seq < ?3
ORDER BY p.seq DESC
LIMIT ?4`;

/** Candidates per search request: the app reads max(30, 3 × limit) per round. */
export const SEARCH_LIMIT = 60;
