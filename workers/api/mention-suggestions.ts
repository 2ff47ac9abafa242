// /communities/:slug/mention-suggestions: the members the composer offers after "@".
import { createRoute, z } from "@hono/zod-openapi";
import { communityAccess, toCommunityAccess } from "../domain/access";
import { DEFAULT_SUGGESTIONS, MAX_SUGGESTIONS, suggestMentions } from "../domain/communities/mention-suggestions";
import { loadReaderScope, readableSpaceIds, scopeSpacesBySlug, toScopeSpaces, viewerSpaceVisibility } from "../domain/readable";
import { notFound, tierRequired } from "../lib/errors";
import { createRouter, requireUser } from "./factory";
import { jsonResponse } from "./route-helpers";
import { errorResponses, Id } from "../domain/schemas/common";
import { RoleSchema, SlugParam, UserCardSchema } from "../domain/schemas/communities";

export const mentionSuggestions = createRouter();

const SuggestionQuery = z.object({
  q: z.string().trim().max(100).default("").openapi({ description: "What was typed after \"@\", any case; empty offers everyone", example: "chen" }),
  spaceId: Id.openapi({ description: "The space being written in: only members who can read it are offered" }),
  limit: z.coerce.number().int().min(1).max(MAX_SUGGESTIONS).default(DEFAULT_SUGGESTIONS),
});

const SuggestionSchema = UserCardSchema.extend({
  role: RoleSchema,
  joinedAt: z.string().openapi({ format: "date-time", description: "when they joined: tells two members of one name and role apart" }),
}).openapi("MentionSuggestion");
const SuggestionList = z.object({ items: z.array(SuggestionSchema) }).openapi("MentionSuggestions");

mentionSuggestions.openapi(
  createRoute({
    method: "get",
    path: "/communities/{slug}/mention-suggestions",
    tags: ["members"],
    summary:
      "Members to offer after \"@\": a name or a later word of it starts with q (caselessly, any script), they can read the space, not the caller; name-start matches first. Members only: 404 for anyone else, and for a space the caller cannot read",
    request: { params: SlugParam, query: SuggestionQuery },
    responses: { 200: jsonResponse(SuggestionList, "Members, best match first"), ...errorResponses(400, 401, 403, 404) },
  }),
  async (c) => {
    const { slug } = c.req.valid("param");
    const { q, spaceId, limit } = c.req.valid("query");
    const reader = c.get("reader");
    // the session, the membership and the community's spaces in one round trip (ADR 010)
    const values = { ...reader.placeholders(), slug };
    const { results } = await reader.runBound([communityAccess(c.env, reader.shape, values), scopeSpacesBySlug(c.env, reader.shape, values)] as const);
    const user = await requireUser(c);
    const access = toCommunityAccess(results[0]);
    // who is in a community is for its members: a public community's visitors learn nothing either
    if (!access?.membership) throw notFound("No such community.");
    const scope = await loadReaderScope(c.env, user.id, access.community.id, access, toScopeSpaces(results[1]));
    if (!scope) throw notFound("No such space.");
    if (!readableSpaceIds(scope).includes(spaceId)) {
      // a space the member sees listed but above their tier: 403 tier_required, as reading it answers
      const space = scope.spaces.get(spaceId);
      if (space && viewerSpaceVisibility(scope.viewer, space, scope.communityPrivate) === "locked") throw tierRequired(space.minTier);
      throw notFound("No such space.");
    }
    const items = await suggestMentions(c.env, scope, spaceId, q, limit, user.id);
    c.header("Cache-Control", "no-store");
    return c.json({ items }, 200);
  },
);
