// Chat spaces (API.md "Chat and DMs", ADR 024): history, sending, editing, reactions, pins, slow
// mode, the member's notification level, and the socket. Every route checks membership, role and
// tier here (domain/chat/channels.ts openChannel) before anything reaches the channel's object.
import { createRoute, z } from "@hono/zod-openapi";
import {
  actOnMessage,
  configureChannel,
  listMessages,
  notifyLevelOf,
  openChannel,
  openMessageChannel,
  openSocket,
  postMessage,
  readMessage,
  setNotifyLevel,
  type ChannelRef,
} from "../domain/chat/channels";
import { createRouter, type AppContext } from "./factory";
import { createdId, IdempotencyHeader, idempotent } from "./idempotency";
import { jsonBody, jsonResponse } from "./route-helpers";
import { errorResponses } from "../domain/schemas/common";
import { SpaceIdParam } from "../domain/schemas/discussions";
import {
  ChannelSettingsBody,
  ChannelSettingsSchema,
  HistoryQuery,
  HistorySchema,
  MessageEmojiParam,
  MessageEnvelope,
  MessageIdParam,
  MessageWriteEnvelope,
  NotifyLevelBody,
  NotifyLevelSchema,
  SendMessageBody,
  UpdateMessageBody,
} from "../domain/schemas/chat";
import { badRequest, forbidden } from "../lib/errors";
import { hasRole } from "../domain/access";
import { ReactFrame, isConversationId } from "../../durable-objects/protocol";

export const chat = createRouter();
const tags = ["chat"];

chat.openapi(
  createRoute({
    method: "get",
    path: "/spaces/{spaceId}/messages",
    tags,
    summary: "A chat space's history by seq, oldest first (the newest page without `before`/`after`)",
    request: { params: SpaceIdParam, query: HistoryQuery },
    responses: { 200: jsonResponse(HistorySchema, "A page of messages"), ...errorResponses(400, 403, 404, 409) },
  }),
  async (c) => {
    const access = await openChannel(c.env, c.req.valid("param").spaceId, c.get("reader"), "read");
    const q = c.req.valid("query");
    if (q.before !== undefined && q.after !== undefined) throw badRequest("Give `before` or `after`, not both.");
    return c.json(await listMessages(c.env, access, q), 200);
  },
);

chat.openapi(
  createRoute({
    method: "post",
    path: "/spaces/{spaceId}/messages",
    tags,
    summary: "Send a message (stored, then broadcast to the channel's sockets)",
    description:
      "413 too_large past 4,000 characters; 429 rate_limited (Retry-After) past 10 messages in 10 s or inside the channel's slow mode. " +
      "A message with a `clientId` already stored answers 200 with it; Idempotency-Key (24 h) is honoured too.",
    middleware: [idempotent] as const,
    request: { params: SpaceIdParam, headers: IdempotencyHeader, ...jsonBody(SendMessageBody) },
    responses: {
      201: jsonResponse(MessageWriteEnvelope, "Stored and sent"),
      200: jsonResponse(MessageWriteEnvelope, "Already stored under this clientId"),
      ...errorResponses(400, 401, 403, 404, 409, 413, 415, 429),
    },
  }),
  async (c) => {
    const access = await openChannel(c.env, c.req.valid("param").spaceId, c.get("reader"), "write");
    const sent = await sendFromRequest(c, access, c.req.valid("json"));
    return c.json({ message: sent.message, unreachableMentions: sent.unreachableMentions }, sent.created ? 201 : 200);
  },
);

/**
 * POST …/messages for a chat space and a conversation alike: the body's client id, else one
 * derived from the Idempotency-Key, else none; the channel's answer (`created` false: already stored).
 */
export async function sendFromRequest(c: AppContext, access: ChannelRef, body: z.infer<typeof SendMessageBody>) {
  const clientId = body.clientId ?? (await createdId(c, "idem")) ?? null;
  return postMessage(c.env, access, {
    clientId,
    body: body.body,
    replyTo: body.replyTo ?? null,
    imageIds: body.imageIds ?? [],
    mentionIds: body.mentionIds ?? [],
  });
}

/** GET …/socket for a chat space and a conversation alike: 426 without an upgrade, else the channel object's socket. */
export function upgradeFromRequest(c: AppContext, access: ChannelRef) {
  if (c.req.header("Upgrade")?.toLowerCase() !== "websocket") {
    return c.json({ error: { code: "upgrade_required", message: "This route speaks WebSocket only." } }, 426);
  }
  return openSocket(c.env, access, c.req.raw);
}

chat.openapi(
  createRoute({
    method: "get",
    path: "/messages/{messageId}",
    tags,
    summary: "One chat message",
    request: { params: MessageIdParam },
    responses: { 200: jsonResponse(MessageEnvelope, "The message"), ...errorResponses(403, 404) },
  }),
  async (c) => {
    const { messageId } = c.req.valid("param");
    const access = await openMessageChannel(c.env, messageId, c.get("reader"), "read");
    return c.json({ message: await readMessage(c.env, access, messageId) }, 200);
  },
);

chat.openapi(
  createRoute({
    method: "patch",
    path: "/messages/{messageId}",
    tags,
    summary: "Edit a message (its author, or a moderator and up) or pin it (moderator and up); in a DM (`msg_<seq>_dm_…`) only its author edits and any participant pins",
    request: { params: MessageIdParam, ...jsonBody(UpdateMessageBody) },
    responses: { 200: jsonResponse(MessageEnvelope, "The message as it is now"), ...errorResponses(400, 401, 403, 404, 413, 415) },
  }),
  async (c) => {
    const { messageId } = c.req.valid("param");
    const access = await openMessageChannel(c.env, messageId, c.get("reader"), "write");
    const input = c.req.valid("json");
    // refused as a whole: an edit is not applied when the pin beside it may not be
    if (input.pinned !== undefined && !isConversationId(access.identity.channelId) && !hasRole(access.identity.role, "moderator")) throw forbidden("Pinning needs the moderator role or higher.");
    let message = input.body !== undefined ? await actOnMessage(c.env, access, { type: "edit", id: messageId, body: input.body }) : null;
    if (input.pinned !== undefined) message = await actOnMessage(c.env, access, { type: "pin", id: messageId, pinned: input.pinned });
    return c.json({ message: message! }, 200);
  },
);

chat.openapi(
  createRoute({
    method: "delete",
    path: "/messages/{messageId}",
    tags,
    summary: "Delete a message (its author, or a moderator and up; in a DM its author only); it stays in the history as a tombstone",
    request: { params: MessageIdParam },
    responses: { 204: { description: "Deleted" }, ...errorResponses(401, 403, 404) },
  }),
  async (c) => {
    const { messageId } = c.req.valid("param");
    const access = await openMessageChannel(c.env, messageId, c.get("reader"), "write");
    await actOnMessage(c.env, access, { type: "delete", id: messageId });
    return c.body(null, 204);
  },
);

for (const [method, on] of [
  ["put", true],
  ["delete", false],
] as const) {
  chat.openapi(
    createRoute({
      method,
      path: "/messages/{messageId}/reactions/{emoji}",
      tags,
      summary: on ? "React to a message with an emoji (idempotent)" : "Take back a reaction (idempotent)",
      request: { params: MessageEmojiParam },
      responses: { 200: jsonResponse(MessageEnvelope, "The message with its reactions"), ...errorResponses(400, 401, 403, 404, 409) },
    }),
    async (c) => {
      const { messageId, emoji } = c.req.valid("param");
      const access = await openMessageChannel(c.env, messageId, c.get("reader"), "write");
      const message = await actOnMessage(c.env, access, parseReaction(messageId, emoji, on));
      return c.json({ message }, 200);
    },
  );
}

function parseReaction(id: string, emoji: string, on: boolean) {
  const parsed = ReactFrame.safeParse({ type: "react", id, emoji, on });
  if (!parsed.success) throw badRequest("A reaction is one emoji.", { issues: [{ path: "emoji", message: "one emoji", code: "invalid_value" }] });
  return parsed.data;
}

chat.openapi(
  createRoute({
    method: "patch",
    path: "/spaces/{spaceId}/chat",
    tags,
    summary: "Slow mode: seconds between one member's messages (moderator and up; 0 turns it off)",
    request: { params: SpaceIdParam, ...jsonBody(ChannelSettingsBody) },
    responses: { 200: jsonResponse(ChannelSettingsSchema, "The channel's settings"), ...errorResponses(400, 401, 403, 404, 409, 415) },
  }),
  async (c) => {
    const access = await openChannel(c.env, c.req.valid("param").spaceId, c.get("reader"), "write");
    return c.json(await configureChannel(c.env, access, c.req.valid("json")), 200);
  },
);

chat.openapi(
  createRoute({
    method: "get",
    path: "/spaces/{spaceId}/chat/notifications",
    tags,
    summary: "Your notification level for this channel: all, mentions (the default) or none",
    request: { params: SpaceIdParam },
    responses: { 200: jsonResponse(NotifyLevelSchema, "Your level"), ...errorResponses(401, 403, 404, 409) },
  }),
  async (c) => {
    const access = await openChannel(c.env, c.req.valid("param").spaceId, c.get("reader"), "write");
    return c.json({ level: await notifyLevelOf(c.env, access.space.id, access.identity.userId) }, 200);
  },
);

chat.openapi(
  createRoute({
    method: "put",
    path: "/spaces/{spaceId}/chat/notifications",
    tags,
    summary: "Set your notification level for this channel",
    request: { params: SpaceIdParam, ...jsonBody(NotifyLevelBody) },
    responses: { 200: jsonResponse(NotifyLevelSchema, "Your level"), ...errorResponses(400, 401, 403, 404, 409, 415) },
  }),
  async (c) => {
    const access = await openChannel(c.env, c.req.valid("param").spaceId, c.get("reader"), "write");
    return c.json({ level: await setNotifyLevel(c.env, access, c.req.valid("json").level) }, 200);
  },
);

chat.openapi(
  createRoute({
    method: "get",
    path: "/spaces/{spaceId}/socket",
    tags,
    summary: "The channel's WebSocket (wire protocol: durable-objects/protocol.ts); ?after=<rev> resumes",
    description:
      "Needs the session cookie and the app's Origin. Frames from the client: send, edit, delete, react, pin, seen; " +
      "from the server: ready, messages (new and changed, in rev order, coalesced), ack, settings, error. " +
      "Closes with 4403 when the member's access ends, 4408 when the client stops reading, 4409 when the member blocked or unblocked someone (reconnect at once with ?after=).",
    request: { params: SpaceIdParam, query: z.object({ after: z.string().optional() }) },
    responses: { 101: { description: "Switching to the WebSocket protocol" }, 426: { description: "Not a WebSocket upgrade" }, ...errorResponses(400, 401, 403, 404, 409) },
  }),
  async (c) => {
    const access = await openChannel(c.env, c.req.valid("param").spaceId, c.get("reader"), "write");
    return upgradeFromRequest(c, access);
  },
);
