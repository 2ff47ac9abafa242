// All side effects of a content change go through here, after the D1 write has committed
// (CONVENTIONS.md #10): search indexing, mentions, notifications — and later the realtime fan-out.
import type { schema } from "../db/client";

export type Post = typeof schema.posts.$inferSelect;
export type Comment = typeof schema.comments.$inferSelect;

export type ContentEvent =
  | { type: "post.created"; post: Post }
  | { type: "post.updated"; post: Post }
  /** deleted, hidden, or its space archived: drop from search, notifications stop showing it */
  | { type: "post.removed"; post: Post }
  | { type: "comment.created"; comment: Comment; post: Post }
  | { type: "comment.updated"; comment: Comment; post: Post }
  | { type: "comment.removed"; comment: Comment; post: Post };

export async function publish(env: Env, event: ContentEvent): Promise<void> {
  void env;
  void event;
}
