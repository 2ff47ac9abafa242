// PUT/DELETE /posts/:postId/reactions/:emoji and /comments/:commentId/reactions/:emoji:
// idempotent, from a fixed set of emoji (URL-encoded in the path).
import { createRoute } from "@hono/zod-openapi";
import { reactToComment, reactToPost, requireReactionEmoji } from "../domain/discussions/reactions";
import { createRouter } from "./factory";
import { requireComment, requirePost } from "./guards";
import { jsonResponse } from "./route-helpers";
import { errorResponses } from "../domain/schemas/common";
import { CommentEmojiParam, PostEmojiParam, ReactionsEnvelope } from "../domain/schemas/discussions";

export const reactions = createRouter();

const tags = ["reactions"];

for (const [method, on] of [
  ["put", true],
  ["delete", false],
] as const) {
  const verb = on ? "React to" : "Take back a reaction to";
  const responses = { 200: jsonResponse(ReactionsEnvelope, "The reactions now"), ...errorResponses(400, 401, 403, 404) };

  reactions.openapi(
    createRoute({ method, path: "/posts/{postId}/reactions/{emoji}", tags, summary: `${verb} a post`, request: { params: PostEmojiParam }, responses }),
    async (c) => {
      const { postId, emoji } = c.req.valid("param");
      const chosen = requireReactionEmoji(emoji);
      const access = await requirePost(c, postId, "write");
      return c.json({ reactions: await reactToPost(c.env, access, chosen, on) }, 200);
    },
  );

  reactions.openapi(
    createRoute({
      method,
      path: "/comments/{commentId}/reactions/{emoji}",
      tags,
      summary: `${verb} a comment`,
      request: { params: CommentEmojiParam },
      responses,
    }),
    async (c) => {
      const { commentId, emoji } = c.req.valid("param");
      const chosen = requireReactionEmoji(emoji);
      const access = await requireComment(c, commentId, "write");
      return c.json({ reactions: await reactToComment(c.env, access, chosen, on) }, 200);
    },
  );
}
