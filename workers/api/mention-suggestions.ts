// /communities/:slug/mention-suggestions: the members the composer offers after "@".
import { createRoute, z } from "@hono/zod-openapi";
import { offerMentions } from "../domain/communities/mention-suggestions";
import { createRouter } from "./factory";
import { jsonResponse } from "./route-helpers";
import { errorResponses } from "../domain/schemas/common";
import { RoleSchema, SlugParam, SuggestionQuery, UserCardSchema } from "../domain/schemas/communities";

export const mentionSuggestions = createRouter();

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
    const items = await offerMentions(c.env, c.get("reader"), c.req.valid("param").slug, c.req.valid("query"));
    c.header("Cache-Control", "no-store");
    return c.json({ items }, 200);
  },
);
