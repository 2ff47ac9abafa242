// Dead letters of the spine (ADR 014): background work that failed MAX_EVENT_ATTEMPTS times.
// Platform operators (OPERATOR_EMAILS) see all of them; a community's admins see their own.
// Anyone else is told the platform routes do not exist (404).
import { createRoute, z } from "@hono/zod-openapi";
import {
  communityDeadLetterScope,
  platformDeadLetterScope,
  readDeadLetters,
  retryDeadLetter,
  type DeadLetterScope,
} from "../domain/events/dead-letters";
import { createRouter, type AppContext } from "./factory";
import { errorResponses, Id, IsoDate, listOf, PageQuery } from "../domain/schemas/common";
import { SlugParam } from "../domain/schemas/communities";
import { jsonResponse } from "./route-helpers";

export const deadLetters = createRouter();
const tags = ["dead letters"];

const DeadLetterSchema = z
  .object({
    id: z.string(),
    kind: z.string().openapi({ example: "post.created" }),
    communityId: z.string().nullable(),
    community: z.object({ id: z.string(), slug: z.string(), name: z.string() }).nullable(),
    subject: z.object({ type: z.string().openapi({ example: "post" }), id: z.string() }),
    postId: z.string().nullable().openapi({ description: "The post the subject is or belongs to (post and comment events), for a link" }),
    attempts: z.number().int(),
    lastError: z.string().nullable().openapi({ description: "The last attempt's error, one per failing handler" }),
    handled: z.array(z.string()).openapi({ description: "Handlers of the kind that did finish" }),
    createdAt: IsoDate,
  })
  .openapi("DeadLetter");
const DeadLetterList = listOf(DeadLetterSchema).extend({ total: z.number().int() });
const EventParam = z.object({ eventId: Id });

const platformScope = (c: AppContext) => platformDeadLetterScope(c.env, c.get("reader"));
const communityScope = (c: AppContext, slug: string) => communityDeadLetterScope(c.env, slug, c.get("reader"));

async function listIn(c: AppContext, scope: DeadLetterScope, query: { limit: number; cursor?: string }) {
  c.header("Cache-Control", "no-store");
  return readDeadLetters(c.env, scope, query);
}

deadLetters.openapi(
  createRoute({
    method: "get",
    path: "/platform/dead-letters",
    tags,
    summary: "Every dead letter of the deployment, newest first (platform operators)",
    request: { query: PageQuery },
    responses: { 200: jsonResponse(DeadLetterList, "A page of dead letters"), ...errorResponses(400, 401, 404) },
  }),
  async (c) => c.json(await listIn(c, await platformScope(c), c.req.valid("query")), 200),
);

deadLetters.openapi(
  createRoute({
    method: "post",
    path: "/platform/dead-letters/{eventId}/retry",
    tags,
    summary: "Try a dead letter again (platform operators)",
    request: { params: EventParam },
    responses: { 202: { description: "Queued again" }, ...errorResponses(401, 404) },
  }),
  async (c) => {
    await retryDeadLetter(c.env, await platformScope(c), c.req.valid("param").eventId);
    return c.body(null, 202);
  },
);

deadLetters.openapi(
  createRoute({
    method: "get",
    path: "/communities/{slug}/dead-letters",
    tags,
    summary: "The community's dead letters, newest first (admin and up)",
    request: { params: SlugParam, query: PageQuery },
    responses: { 200: jsonResponse(DeadLetterList, "A page of dead letters"), ...errorResponses(400, 401, 403, 404) },
  }),
  async (c) => c.json(await listIn(c, await communityScope(c, c.req.valid("param").slug), c.req.valid("query")), 200),
);

deadLetters.openapi(
  createRoute({
    method: "post",
    path: "/communities/{slug}/dead-letters/{eventId}/retry",
    tags,
    summary: "Try one of the community's dead letters again (admin and up)",
    request: { params: SlugParam.extend(EventParam.shape) },
    responses: { 202: { description: "Queued again" }, ...errorResponses(401, 403, 404) },
  }),
  async (c) => {
    const { slug, eventId } = c.req.valid("param");
    await retryDeadLetter(c.env, await communityScope(c, slug), eventId);
    return c.body(null, 202);
  },
);
