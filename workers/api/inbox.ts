// Read positions, unread counts and presence (ADR 033): POST /spaces/:id/read and
// /conversations/:id/read, the community's
// unread counts for the header and sidebar, and the community's presence socket.
import { createRoute, z } from "@hono/zod-openapi";
import { openChannel } from "../domain/chat/channels";
import { openConversation } from "../domain/chat/conversations";
import { communityUnread, markChannelRead, openPresenceSocket } from "../domain/chat/inbox";
import { DomainError, notFound } from "../lib/errors";
import { errorResponses } from "../domain/schemas/common";
import { SpaceIdParam } from "../domain/schemas/discussions";
import { ConversationIdParam } from "../domain/schemas/chat";
import { SlugParam } from "../domain/schemas/communities";
import { createRouter } from "./factory";
import { requireMember } from "./guards";
import { jsonBody, jsonResponse } from "./route-helpers";

export const inbox = createRouter();
const tags = ["chat"];

/** `POST …/read`'s body: the newest message seq the member has seen. */
export const ReadBody = z.object({ seq: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER) }).openapi("ReadPosition");
export const ReadResultSchema = z
  .object({
    readSeq: z.number().int().openapi({ description: "the newest message read (a read position never moves back)" }),
    unread: z.number().int().min(0),
  })
  .openapi("ReadResult");
export const UnreadSchema = z
  .object({ items: z.array(z.object({ channelId: z.string(), unread: z.number().int().min(0) })), total: z.number().int().min(0) })
  .openapi("Unread");

inbox.openapi(
  createRoute({
    method: "post",
    path: "/spaces/{spaceId}/read",
    tags,
    summary: "Move your read position in a chat space to `seq` (never backwards); your other tabs hear it at once",
    request: { params: SpaceIdParam, ...jsonBody(ReadBody) },
    responses: { 200: jsonResponse(ReadResultSchema, "Your read position and unread count"), ...errorResponses(400, 401, 403, 404, 409, 415) },
  }),
  async (c) => {
    const access = await openChannel(c.env, c.req.valid("param").spaceId, c.get("reader"), "write");
    return c.json(await markChannelRead(c.env, access.identity, c.req.valid("json").seq), 200);
  },
);

inbox.openapi(
  createRoute({
    method: "post",
    path: "/conversations/{conversationId}/read",
    tags,
    summary: "Move your read position in a DM conversation to `seq` (never backwards); your other tabs hear it at once",
    request: { params: ConversationIdParam, ...jsonBody(ReadBody) },
    responses: { 200: jsonResponse(ReadResultSchema, "Your read position and unread count"), ...errorResponses(400, 401, 404, 415) },
  }),
  async (c) => {
    const access = await openConversation(c.env, c.req.valid("param").conversationId, c.get("reader"));
    return c.json(await markChannelRead(c.env, access.identity, c.req.valid("json").seq), 200);
  },
);

inbox.openapi(
  createRoute({
    method: "get",
    path: "/communities/{slug}/unread",
    tags,
    summary: "Your unread counts in this community: each chat space you may read and each conversation you are in",
    request: { params: SlugParam },
    responses: { 200: jsonResponse(UnreadSchema, "Counts per channel and their total"), ...errorResponses(401, 403, 404) },
  }),
  async (c) => {
    const access = await requireMember(c, c.req.valid("param").slug);
    return c.json(await communityUnread(c.env, access), 200);
  },
);

inbox.openapi(
  createRoute({
    method: "get",
    path: "/communities/{slug}/presence/socket",
    tags,
    summary: "The community's presence WebSocket (members only): who is online, and when your unread counts changed",
    description:
      "Needs the session cookie and the app's Origin. Frames from the server: online {userIds} on connect, presence {userId, online}, " +
      "inbox {channelId}. Online means a socket open in the community now or closed less than 60 s ago. Closes 4403 when membership ends.",
    request: { params: SlugParam },
    responses: { 101: { description: "Switching to the WebSocket protocol" }, 426: { description: "Not a WebSocket upgrade" }, ...errorResponses(401, 403, 404) },
  }),
  async (c) => {
    let access;
    try {
      access = await requireMember(c, c.req.valid("param").slug);
    } catch (error) {
      // not a member: this socket does not exist for them
      if (error instanceof DomainError && error.status === 403) throw notFound("No such community.");
      throw error;
    }
    if (c.req.header("Upgrade")?.toLowerCase() !== "websocket") {
      return c.json({ error: { code: "upgrade_required", message: "This route speaks WebSocket only." } }, 426);
    }
    return openPresenceSocket(c.env, access, c.get("reader"), c.req.raw);
  },
);
