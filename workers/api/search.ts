// /communities/:slug/search: posts and comments the caller may read, best match first.
import { createRoute, z } from "@hono/zod-openapi";
import { communityAccess, toCommunityAccess } from "../domain/access";
import { candidateIds, guessPlan, searchCommunity, speculate } from "../domain/search/query";
import { factsStatements, loadReaderScope, scopeSpacesBySlug, toFacts, toScopeSpaces } from "../domain/search/readable";
import { limitSearch } from "../domain/rate-limits";
import { createRouter } from "./factory";
import { visibleCommunity } from "./guards";
import { jsonResponse } from "./route-helpers";
import { decodeCursor, encodeCursor, errorResponses, IsoDate, PageQuery } from "./schemas/common";
import { SlugParam } from "./schemas/communities";
import { clientIp } from "./session-cookie";

export const search = createRouter();

const SearchQuery = PageQuery.extend({
  q: z.string().trim().min(1).max(200).openapi({ description: "Words or \"quoted phrases\"; a partial last word matches longer words" }),
});

const SearchHitSchema = z
  .object({
    type: z.enum(["post", "comment"]),
    id: z.string(),
    postId: z.string(),
    spaceId: z.string(),
    title: z.string().openapi({ description: "The post's title (a comment's post)" }),
    snippet: z.string().openapi({ description: "HTML-escaped text with <mark> around each hit", example: "our <mark>community</mark> rules" }),
    score: z.number(),
    createdAt: IsoDate,
    author: z.object({ id: z.string(), name: z.string() }),
  })
  .openapi("SearchHit");

const SearchPage = z.object({ items: z.array(SearchHitSchema), nextCursor: z.string().nullable() }).openapi("SearchPage");

// a search cursor is a position in the ranked candidate list
const OffsetCursor = z.tuple([z.number().int().min(0).max(100_000)]);

search.openapi(
  createRoute({
    method: "get",
    path: "/communities/{slug}/search",
    tags: ["search"],
    summary: "Search posts and comments the caller may read (a private community is 404 to non-members)",
    request: { params: SlugParam, query: SearchQuery },
    description: "429 rate_limited past 60 searches a minute per member (per IP address when signed out).",
    responses: { 200: jsonResponse(SearchPage, "Hits, best first"), ...errorResponses(400, 404, 429) },
  }),
  async (c) => {
    const { slug } = c.req.valid("param");
    const { q, limit, cursor } = c.req.valid("query");
    const [offset] = decodeCursor(cursor, OffsetCursor) ?? [0];
    const reader = c.get("reader");
    // Locally the two databases answer one after the other, so search reads in this order: the
    // index's first candidates for the plan this reader searched this community with last time
    // (guessPlan), then one batch on the main database with the session, community, membership,
    // spaces and the facts of those candidates. The candidates are used only if the checked scope
    // calls for exactly that plan (ADR 010).
    const who = reader.cacheKey;
    const guess = guessPlan(who, slug);
    const early = guess ? speculate(c.env, guess, q, { limit, offset }) : null;
    const ahead = early ? await early.rows : null;
    const ids = ahead ? candidateIds(ahead) : { postIds: [], commentIds: [] };
    const values = { ...reader.placeholders(), slug };
    const { userId, results } = await reader.runBound([
      communityAccess(c.env, reader.shape, values),
      scopeSpacesBySlug(c.env, reader.shape, values),
      ...factsStatements(c.env, ids.postIds, ids.commentIds),
    ] as const);
    const access = visibleCommunity(toCommunityAccess(results[0]));
    // the reader is known only now (the session rode in the batch); a guessed plan's one index
    // read above is all a refused search has cost
    await limitSearch(c.env, { userId, ip: clientIp(c) });
    const scope = await loadReaderScope(c.env, userId, access.community.id, access, toScopeSpaces(results[1]));
    const facts = guess ? toFacts(guess.communityId, results[2], results[3]) : null;
    const page = scope
      ? await searchCommunity(c.env, scope, q, { limit, offset }, { early, facts, remember: { who, slug } })
      : { items: [], nextOffset: null };
    c.header("Cache-Control", "no-store");
    return c.json({ items: page.items, nextCursor: page.nextOffset === null ? null : encodeCursor([page.nextOffset]) }, 200);
  },
);
