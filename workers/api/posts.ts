// /spaces/:spaceId/posts and /posts/:postId: the feed, writing, reading, editing, deleting, and
// the moderator switches pin, lock and hide.
import { createRoute } from "@hono/zod-openapi";
import { createPost, deletePost, readFeed, readPost, setPostSwitch, updatePost } from "../domain/discussions/posts";
import { createRouter } from "./factory";
import { createdId, IdempotencyHeader, idempotent } from "./idempotency";
import { requirePost, requireSpace } from "./guards";
import { jsonBody, jsonResponse, optionalJsonBody } from "./route-helpers";
import { errorResponses, PageQuery } from "../domain/schemas/common";
import {
  CreatePostBody,
  FeedSchema,
  HideBody,
  LockBody,
  PinBody,
  PostEnvelope,
  PostWriteEnvelope,
  PostIdParam,
  PostWithHtml,
  SpaceIdParam,
  UpdatePostBody,
} from "../domain/schemas/discussions";

export const posts = createRouter();

const tags = ["posts"];

posts.openapi(
  createRoute({
    method: "post",
    path: "/spaces/{spaceId}/posts",
    tags,
    summary: "Write a post (Markdown body, stored raw, rendered sanitised); 409 in a chat or events space",
    description:
      "400 markdown_too_deep when the body nests deeper than 32 levels, 413 too_large past 40,000 characters, " +
      "429 rate_limited past 10 posts a minute. " +
      "Honours Idempotency-Key (24 h): a retry answers the first result and creates nothing twice.",
    middleware: [idempotent] as const,
    request: { params: SpaceIdParam, headers: IdempotencyHeader, ...jsonBody(CreatePostBody) },
    responses: { 201: jsonResponse(PostWriteEnvelope, "Created"), ...errorResponses(400, 401, 403, 404, 409, 413, 415, 422, 429) },
  }),
  async (c) => {
    const access = await requireSpace(c, c.req.valid("param").spaceId, "write");
    return c.json(await createPost(c.env, access, c.req.valid("json"), { id: await createdId(c, "pst") }), 201);
  },
);

posts.openapi(
  createRoute({
    method: "get",
    path: "/spaces/{spaceId}/posts",
    tags,
    summary: "The space's posts, newest first, with pinned posts apart; records the caller's visit",
    description:
      "Pages by seq: posts written while paging never duplicate or shift items. `isNew` marks posts " +
      "written after the previous visit (`lastSeenSeq`); the first page then records this visit.",
    request: { params: SpaceIdParam, query: PageQuery },
    responses: { 200: jsonResponse(FeedSchema, "A page of posts"), ...errorResponses(400, 403, 404) },
  }),
  async (c) => {
    const feed = await readFeed(c.env, c.req.valid("param").spaceId, c.get("reader"), c.req.valid("query"), (work) => c.executionCtx.waitUntil(work));
    return c.json(feed, 200);
  },
);

posts.openapi(
  createRoute({
    method: "get",
    path: "/posts/{postId}",
    tags,
    summary: "A post with its body rendered to sanitised HTML",
    request: { params: PostIdParam },
    responses: { 200: jsonResponse(PostWithHtml, "The post"), ...errorResponses(403, 404) },
  }),
  async (c) => {
    const access = await requirePost(c, c.req.valid("param").postId, "read");
    return c.json(await readPost(c.env, access), 200);
  },
);

posts.openapi(
  createRoute({
    method: "patch",
    path: "/posts/{postId}",
    tags,
    summary: "Edit a post (its author only); 400 markdown_too_deep past 32 levels of nesting, 413 past 40,000 characters",
    request: { params: PostIdParam, ...jsonBody(UpdatePostBody) },
    responses: { 200: jsonResponse(PostWriteEnvelope, "Updated"), ...errorResponses(400, 401, 403, 404, 413, 415) },
  }),
  async (c) => {
    const access = await requirePost(c, c.req.valid("param").postId, "write");
    return c.json(await updatePost(c.env, access, c.req.valid("json")), 200);
  },
);

posts.openapi(
  createRoute({
    method: "delete",
    path: "/posts/{postId}",
    tags,
    summary: "Delete a post (its author, or a moderator and up)",
    request: { params: PostIdParam },
    responses: { 204: { description: "Deleted" }, ...errorResponses(401, 403, 404) },
  }),
  async (c) => {
    const access = await requirePost(c, c.req.valid("param").postId, "write");
    await deletePost(c.env, access);
    return c.body(null, 204);
  },
);

const switches = [
  { path: "pin", key: "pinned", body: PinBody, summary: "Pin a post to the top of its space, or unpin it (moderator and up)" },
  { path: "lock", key: "locked", body: LockBody, summary: "Lock a post against new comments, or unlock it (moderator and up)" },
  { path: "hide", key: "hidden", body: HideBody, summary: "Hide a post from members, or show it again (moderator and up)" },
] as const;

for (const s of switches) {
  posts.openapi(
    createRoute({
      method: "post",
      path: `/posts/{postId}/${s.path}`,
      tags,
      summary: s.summary,
      request: { params: PostIdParam, ...optionalJsonBody(s.body) },
      responses: { 200: jsonResponse(PostEnvelope, "The post"), ...errorResponses(400, 401, 403, 404, 415) },
    }),
    async (c) => {
      const access = await requirePost(c, c.req.valid("param").postId, "write");
      const body: { pinned?: boolean; locked?: boolean; hidden?: boolean } = c.req.valid("json");
      return c.json({ post: await setPostSwitch(c.env, access, s.key, body[s.key] ?? true) }, 200);
    },
  );
}
