// /posts/:postId/comments and /comments/:commentId: threaded comments, oldest first.
import { createRoute } from "@hono/zod-openapi";
import { createComment, deleteComment, readComments, setCommentHidden, updateComment } from "../domain/discussions/comments";
import { createRouter } from "./factory";
import { createdId, IdempotencyHeader, idempotent } from "./idempotency";
import { requireComment, requirePost } from "./guards";
import { jsonBody, jsonResponse, optionalJsonBody } from "./route-helpers";
import { errorResponses, listOf, PageQuery } from "../domain/schemas/common";
import {
  CommentEnvelope,
  CommentWriteEnvelope,
  CommentIdParam,
  CommentSchema,
  CreateCommentBody,
  HideBody,
  PostIdParam,
  UpdateCommentBody,
} from "../domain/schemas/discussions";

export const comments = createRouter();

const tags = ["comments"];

comments.openapi(
  createRoute({
    method: "get",
    path: "/posts/{postId}/comments",
    tags,
    summary: "A post's comments, oldest first, threaded two levels deep by parentId/rootId",
    description:
      "Replies to replies keep their parentId but are flattened to depth 1 under their root, with `replyTo`. " +
      "A removed comment that has replies stays as a placeholder (`deleted: true`, empty body); without replies it is left out.",
    request: { params: PostIdParam, query: PageQuery },
    responses: { 200: jsonResponse(listOf(CommentSchema), "A page of comments"), ...errorResponses(400, 403, 404) },
  }),
  async (c) => {
    const query = c.req.valid("query");
    const access = await requirePost(c, c.req.valid("param").postId, "read");
    return c.json(await readComments(c.env, access, query), 200);
  },
);

comments.openapi(
  createRoute({
    method: "post",
    path: "/posts/{postId}/comments",
    tags,
    summary: "Comment on a post, or reply to a comment on it (409 when the post is locked)",
    description:
      "400 markdown_too_deep when the body nests deeper than 32 levels, 413 too_large past 10,000 characters, " +
      "429 rate_limited past 30 comments a minute. " +
      "Honours Idempotency-Key (24 h): a retry answers the first result and creates nothing twice.",
    middleware: [idempotent] as const,
    request: { params: PostIdParam, headers: IdempotencyHeader, ...jsonBody(CreateCommentBody) },
    responses: { 201: jsonResponse(CommentWriteEnvelope, "Created"), ...errorResponses(400, 401, 403, 404, 409, 413, 415, 422, 429) },
  }),
  async (c) => {
    const access = await requirePost(c, c.req.valid("param").postId, "write");
    return c.json(await createComment(c.env, access, c.req.valid("json"), { id: await createdId(c, "cmt") }), 201);
  },
);

comments.openapi(
  createRoute({
    method: "patch",
    path: "/comments/{commentId}",
    tags,
    summary: "Edit a comment (its author only); 400 markdown_too_deep past 32 levels of nesting, 413 past 10,000 characters",
    request: { params: CommentIdParam, ...jsonBody(UpdateCommentBody) },
    responses: { 200: jsonResponse(CommentWriteEnvelope, "Updated"), ...errorResponses(400, 401, 403, 404, 413, 415) },
  }),
  async (c) => {
    const access = await requireComment(c, c.req.valid("param").commentId, "write");
    const { body, mentionIds } = c.req.valid("json");
    return c.json(await updateComment(c.env, access, body, mentionIds), 200);
  },
);

comments.openapi(
  createRoute({
    method: "delete",
    path: "/comments/{commentId}",
    tags,
    summary: "Delete a comment (its author, or a moderator and up)",
    request: { params: CommentIdParam },
    responses: { 204: { description: "Deleted" }, ...errorResponses(401, 403, 404) },
  }),
  async (c) => {
    const access = await requireComment(c, c.req.valid("param").commentId, "write");
    await deleteComment(c.env, access);
    return c.body(null, 204);
  },
);

comments.openapi(
  createRoute({
    method: "post",
    path: "/comments/{commentId}/hide",
    tags,
    summary: "Hide a comment from members, or show it again (moderator and up)",
    request: { params: CommentIdParam, ...optionalJsonBody(HideBody) },
    responses: { 200: jsonResponse(CommentEnvelope, "The comment"), ...errorResponses(400, 401, 403, 404, 415) },
  }),
  async (c) => {
    const access = await requireComment(c, c.req.valid("param").commentId, "write");
    const body: { hidden?: boolean } = c.req.valid("json");
    return c.json({ comment: await setCommentHidden(c.env, access, body.hidden ?? true) }, 200);
  },
);
