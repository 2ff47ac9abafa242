// /communities/:slug/search: posts, comments and chat messages the caller may read, best match first.
import { createRoute, z } from "@hono/zod-openapi";
import { searchPosts } from "../domain/search/search-posts";
import { createRouter } from "./factory";
import { jsonResponse } from "./route-helpers";
import { errorResponses, IsoDate, PageQuery } from "../domain/schemas/common";
import { SlugParam } from "../domain/schemas/communities";
import { clientIp } from "./session-cookie";

export const search = createRouter();

const SearchQuery = PageQuery.extend({
  q: z.string().trim().min(1).max(200).openapi({ description: "Words or \"quoted phrases\"; a partial last word matches longer words" }),
});

const SearchHitSchema = z
  .object({
    type: z.enum(["post", "comment", "message"]),
    id: z.string(),
    postId: z.string().nullable().openapi({ description: "null for a chat message" }),
    spaceId: z.string(),
    title: z.string().openapi({ description: "The post's title (a comment's post); a chat message's channel name" }),
    seq: z.number().int().nullable().openapi({ description: "A chat message's seq in its channel; null otherwise" }),
    url: z.string().openapi({ description: "The app's page for the hit", example: "/c/book-club/s/spc_abc?seq=42#msg-42" }),
    snippet: z.string().openapi({ description: "HTML-escaped text with <mark> around each hit", example: "our <mark>community</mark> rules" }),
    score: z.number(),
    createdAt: IsoDate,
    author: z.object({ id: z.string(), name: z.string() }),
  })
  .openapi("SearchHit");

const SearchPage = z.object({ items: z.array(SearchHitSchema), nextCursor: z.string().nullable() }).openapi("SearchPage");


search.openapi(
  createRoute({
    method: "get",
    path: "/communities/{slug}/search",
    tags: ["search"],
    summary: "Search posts, comments and chat messages the caller may read (a private community is 404 to non-members)",
    request: { params: SlugParam, query: SearchQuery },
    description: "429 rate_limited past 60 searches a minute per member (per IP address when signed out).",
    responses: { 200: jsonResponse(SearchPage, "Hits, best first"), ...errorResponses(400, 404, 429) },
  }),
  async (c) => {
    const { slug } = c.req.valid("param");
    const { q, limit, cursor } = c.req.valid("query");
    const page = await searchPosts(c.env, c.get("reader"), { slug, q, limit, cursor, ip: clientIp(c) });
    c.header("Cache-Control", "no-store");
    return c.json(page, 200);
  },
);
