// DM conversations, who may message me, and blocks (API.md "Chat and DMs", ADR 033). A
// conversation is a chat channel: its history, sending and socket are chat's (api/chat.ts
// sendFromRequest, upgradeFromRequest), reached only by its active participants — 404 for
// everyone else on every route (domain/chat/conversations.ts openConversation).
import { createRoute, z } from "@hono/zod-openapi";
import { listMessages } from "../domain/chat/channels";
import { createConversation, conversationView, leaveConversation, listConversations, openConversation, renameConversation } from "../domain/chat/conversations";
import { blockMember, dmPolicyOf, listBlocks, setDmPolicy, unblockMember } from "../domain/chat/blocks";
import { createRouter } from "./factory";
import { requireMember } from "./guards";
import { IdempotencyHeader, idempotent } from "./idempotency";
import { jsonBody, jsonResponse } from "./route-helpers";
import { sendFromRequest, upgradeFromRequest } from "./chat";
import { errorResponses } from "../domain/schemas/common";
import { SlugParam, SlugUserParam } from "../domain/schemas/communities";
import {
  BlockBody,
  BlockEnvelope,
  BlockListSchema,
  ConversationEnvelope,
  ConversationIdParam,
  ConversationListQuery,
  ConversationListSchema,
  CreateConversationBody,
  DmSettingsSchema,
  HistoryQuery,
  HistorySchema,
  MessageWriteEnvelope,
  RenameConversationBody,
  SendMessageBody,
} from "../domain/schemas/chat";
import { badRequest } from "../lib/errors";

export const conversations = createRouter();
const tags = ["dms"];

conversations.openapi(
  createRoute({
    method: "post",
    path: "/communities/{slug}/conversations",
    tags,
    summary: "Start a DM (1:1 or a group of up to 20 with you): the same members reach the same conversation (200)",
    description: "403 dm_not_allowed when a block or a member's DM policy refuses it (the answer says neither who nor which rule).",
    request: { params: SlugParam, ...jsonBody(CreateConversationBody) },
    responses: {
      201: jsonResponse(ConversationEnvelope, "Started"),
      200: jsonResponse(ConversationEnvelope, "These members' conversation, which already exists"),
      ...errorResponses(400, 401, 403, 404, 415),
    },
  }),
  async (c) => {
    const access = await requireMember(c, c.req.valid("param").slug);
    const { conversation, created } = await createConversation(c.env, access, c.req.valid("json"));
    return c.json({ conversation }, created ? 201 : 200);
  },
);

conversations.openapi(
  createRoute({
    method: "get",
    path: "/communities/{slug}/conversations",
    tags,
    summary: "Your conversations, latest activity first, with each one's last message and unread count",
    request: { params: SlugParam, query: ConversationListQuery },
    responses: { 200: jsonResponse(ConversationListSchema, "A page of conversations"), ...errorResponses(400, 401, 403, 404) },
  }),
  async (c) => {
    const access = await requireMember(c, c.req.valid("param").slug);
    return c.json(await listConversations(c.env, access, c.req.valid("query")), 200);
  },
);

conversations.openapi(
  createRoute({
    method: "get",
    path: "/conversations/{conversationId}",
    tags,
    summary: "A conversation you take part in (404 otherwise)",
    request: { params: ConversationIdParam },
    responses: { 200: jsonResponse(ConversationEnvelope, "The conversation"), ...errorResponses(401, 404) },
  }),
  async (c) => {
    const access = await openConversation(c.env, c.req.valid("param").conversationId, c.get("reader"));
    return c.json({ conversation: conversationView(access.conversation, access.members) }, 200);
  },
);

conversations.openapi(
  createRoute({
    method: "patch",
    path: "/conversations/{conversationId}",
    tags,
    summary: "Rename a group (any participant; null clears the name); 400 on a 1:1",
    request: { params: ConversationIdParam, ...jsonBody(RenameConversationBody) },
    responses: { 200: jsonResponse(ConversationEnvelope, "The conversation"), ...errorResponses(400, 401, 404, 415) },
  }),
  async (c) => {
    const access = await openConversation(c.env, c.req.valid("param").conversationId, c.get("reader"));
    return c.json({ conversation: await renameConversation(c.env, access, c.req.valid("json").name) }, 200);
  },
);

conversations.openapi(
  createRoute({
    method: "post",
    path: "/conversations/{conversationId}/leave",
    tags,
    summary: "Leave a group (409 for a 1:1, which cannot be left); your sockets in it close",
    request: { params: ConversationIdParam },
    responses: { 204: { description: "Left" }, ...errorResponses(401, 404, 409) },
  }),
  async (c) => {
    const access = await openConversation(c.env, c.req.valid("param").conversationId, c.get("reader"));
    await leaveConversation(c.env, access);
    return c.body(null, 204);
  },
);

conversations.openapi(
  createRoute({
    method: "get",
    path: "/conversations/{conversationId}/messages",
    tags,
    summary: "A conversation's history by seq, oldest first (as a chat space's); members you blocked are left out",
    request: { params: ConversationIdParam, query: HistoryQuery },
    responses: { 200: jsonResponse(HistorySchema, "A page of messages"), ...errorResponses(400, 401, 404) },
  }),
  async (c) => {
    const access = await openConversation(c.env, c.req.valid("param").conversationId, c.get("reader"));
    const q = c.req.valid("query");
    if (q.before !== undefined && q.after !== undefined) throw badRequest("Give `before` or `after`, not both.");
    return c.json(await listMessages(c.env, access, q), 200);
  },
);

conversations.openapi(
  createRoute({
    method: "post",
    path: "/conversations/{conversationId}/messages",
    tags,
    summary: "Send a message in a conversation (as in a chat space; no slow mode)",
    description:
      "403 dm_not_allowed in a 1:1 where a block stands between its two members; 413 too_large past 4,000 characters; 429 rate_limited past 10 messages in 10 s. " +
      "Images are your uploads for this conversation (POST /uploads with conversationId).",
    middleware: [idempotent] as const,
    request: { params: ConversationIdParam, headers: IdempotencyHeader, ...jsonBody(SendMessageBody) },
    responses: {
      201: jsonResponse(MessageWriteEnvelope, "Stored and sent"),
      200: jsonResponse(MessageWriteEnvelope, "Already stored under this clientId"),
      ...errorResponses(400, 401, 403, 404, 413, 415, 429),
    },
  }),
  async (c) => {
    const access = await openConversation(c.env, c.req.valid("param").conversationId, c.get("reader"));
    const sent = await sendFromRequest(c, access, c.req.valid("json"));
    return c.json({ message: sent.message, unreachableMentions: sent.unreachableMentions }, sent.created ? 201 : 200);
  },
);

conversations.openapi(
  createRoute({
    method: "get",
    path: "/conversations/{conversationId}/socket",
    tags,
    summary: "The conversation's WebSocket: the chat protocol (durable-objects/protocol.ts); ?after=<rev> resumes",
    description: "Closes with 4403 when you leave or lose access, 4409 when you block or unblock someone (reconnect at once with ?after=).",
    request: { params: ConversationIdParam, query: z.object({ after: z.string().optional() }) },
    responses: { 101: { description: "Switching to the WebSocket protocol" }, 426: { description: "Not a WebSocket upgrade" }, ...errorResponses(400, 401, 404) },
  }),
  async (c) => {
    const access = await openConversation(c.env, c.req.valid("param").conversationId, c.get("reader"));
    return upgradeFromRequest(c, access);
  },
);

conversations.openapi(
  createRoute({
    method: "get",
    path: "/communities/{slug}/dm-settings",
    tags,
    summary: "Who may start a DM with you in this community",
    request: { params: SlugParam },
    responses: { 200: jsonResponse(DmSettingsSchema, "Your setting"), ...errorResponses(401, 403, 404) },
  }),
  async (c) => {
    const access = await requireMember(c, c.req.valid("param").slug);
    return c.json({ policy: dmPolicyOf(access) }, 200);
  },
);

conversations.openapi(
  createRoute({
    method: "put",
    path: "/communities/{slug}/dm-settings",
    tags,
    summary: "Set who may start a DM with you: everyone, shared_space or nobody (moderators always may)",
    request: { params: SlugParam, ...jsonBody(DmSettingsSchema) },
    responses: { 200: jsonResponse(DmSettingsSchema, "Your setting"), ...errorResponses(400, 401, 403, 404, 415) },
  }),
  async (c) => {
    const access = await requireMember(c, c.req.valid("param").slug);
    return c.json({ policy: await setDmPolicy(c.env, access, c.req.valid("json").policy) }, 200);
  },
);

conversations.openapi(
  createRoute({
    method: "get",
    path: "/communities/{slug}/blocks",
    tags,
    summary: "The members you blocked here, newest first",
    request: { params: SlugParam },
    responses: { 200: jsonResponse(BlockListSchema, "Your blocks"), ...errorResponses(401, 403, 404) },
  }),
  async (c) => {
    const access = await requireMember(c, c.req.valid("param").slug);
    return c.json({ items: await listBlocks(c.env, access) }, 200);
  },
);

conversations.openapi(
  createRoute({
    method: "post",
    path: "/communities/{slug}/blocks",
    tags,
    summary: "Block a member: no new DMs between you, and you no longer see their messages (idempotent)",
    description: "Your open chat sockets in this community close with 4409: reconnect at once with ?after=.",
    request: { params: SlugParam, ...jsonBody(BlockBody) },
    responses: { 201: jsonResponse(BlockEnvelope, "Blocked"), ...errorResponses(400, 401, 403, 404, 415) },
  }),
  async (c) => {
    const access = await requireMember(c, c.req.valid("param").slug);
    return c.json({ block: await blockMember(c.env, access, c.req.valid("json").userId) }, 201);
  },
);

conversations.openapi(
  createRoute({
    method: "delete",
    path: "/communities/{slug}/blocks/{userId}",
    tags,
    summary: "Unblock a member (idempotent)",
    request: { params: SlugUserParam },
    responses: { 204: { description: "Unblocked" }, ...errorResponses(401, 403, 404) },
  }),
  async (c) => {
    const { slug, userId } = c.req.valid("param");
    await unblockMember(c.env, await requireMember(c, slug), userId);
    return c.body(null, 204);
  },
);
