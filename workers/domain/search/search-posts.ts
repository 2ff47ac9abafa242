// The search use case: the posts, comments and chat messages one reader may read in one community
// that match a query, best first. The API (api/search.ts) and the search page call it alike.
import { z } from "zod";
import { decodeCursor, encodeCursor } from "../../lib/cursor";
import { communityAccess, toCommunityAccess, visibleCommunity } from "../access";
import type { Reader } from "../auth/reader";
import { limitSearch } from "../rate-limits";
import { factsStatements, loadReaderScope, scopeSpacesBySlug, toFacts, toScopeSpaces } from "../readable";
import { candidateIds, guessPlan, searchCommunity, speculate, type SearchHit } from "./query";
import { conversationNamesOf } from "../chat/conversations";
import { isConversationId } from "../../../durable-objects/protocol";

/** A hit with the app's page for it: a post, a comment's place under its post, a message in its channel. */
export type SearchResult = SearchHit & { url: string };

/**
 * Where a hit is shown in the app (app/routes.ts): `/c/<slug>/posts/<id>`, `…#comment-<id>`,
 * `/c/<slug>/s/<space>?seq=<seq>#msg-<seq>` (the chat page's anchor for a message it shows).
 */
export function hitUrl(slug: string, hit: SearchHit): string {
  const anchor = hit.seq !== null ? `?seq=${hit.seq}#msg-${hit.seq}` : "";
  // a DM's page (the DM UI's route, ADR 033)
  if (hit.type === "message" && isConversationId(hit.spaceId)) return `/c/${slug}/dm/${hit.spaceId}${anchor}`;
  if (hit.type === "message") return `/c/${slug}/s/${hit.spaceId}${hit.seq !== null ? `?seq=${hit.seq}#msg-${hit.seq}` : ""}`;
  return `/c/${slug}/posts/${hit.postId}${hit.type === "comment" ? `#comment-${hit.id}` : ""}`;
}

// a search cursor is a position in the ranked candidate list
const OffsetCursor = z.tuple([z.number().int().min(0).max(100_000)]);

/**
 * One page of hits for `q` (already trimmed, 1–200 characters) after the opaque `cursor`
 * (lib/cursor.ts; none: the first page), and the next page's cursor (null: no more). `ip` names a
 * signed-out reader for the rate limit. Throws 400 invalid_cursor, 404 (no such community, or
 * private and the reader is not a member) and 429 rate_limited past 60 searches a minute
 * (rate-limits/index.ts).
 */
export async function searchPosts(
  env: Env,
  reader: Reader,
  input: { slug: string; q: string; limit: number; cursor?: string | null; ip: string },
): Promise<{ items: SearchResult[]; nextCursor: string | null }> {
  const { slug, q, limit } = input;
  const [offset] = decodeCursor(input.cursor, OffsetCursor) ?? [0];
  // Locally the two databases answer one after the other, so search reads in this order: the
  // index's first candidates for the plan this reader searched this community with last time
  // (guessPlan), then one batch on the main database with the session, community, membership,
  // spaces and the facts of those candidates. The candidates are used only if the checked scope
  // calls for exactly that plan (ADR 010).
  const who = reader.cacheKey;
  const guess = guessPlan(who, slug);
  const early = guess ? speculate(env, guess, q, { limit, offset }) : null;
  const ahead = early ? await early.rows : null;
  const ids = ahead ? candidateIds(ahead) : { postIds: [], commentIds: [] };
  const values = { ...reader.placeholders(), slug };
  const { userId, results } = await reader.runBound([
    communityAccess(env, reader.shape, values),
    scopeSpacesBySlug(env, reader.shape, values),
    ...factsStatements(env, ids.postIds, ids.commentIds),
  ] as const);
  const access = visibleCommunity(toCommunityAccess(results[0]));
  // the reader is known only now (the session rode in the batch); a guessed plan's one index
  // read above is all a refused search has cost
  await limitSearch(env, { userId, ip: input.ip });
  const scope = await loadReaderScope(env, userId, access.community.id, access, toScopeSpaces(results[1]));
  const facts = guess ? toFacts(guess.communityId, results[2], results[3]) : null;
  if (!scope) return { items: [], nextCursor: null };
  // a DM message is found by its conversation's active participants only
  const conversations = userId && access.membership ? await conversationNamesOf(env, access.community.id, userId) : new Map<string, string>();
  const page = await searchCommunity(env, { ...scope, conversations }, q, { limit, offset }, { early, facts, remember: { who, slug } });
  return { items: page.items.map((hit) => ({ ...hit, url: hitUrl(slug, hit) })), nextCursor: page.nextOffset === null ? null : encodeCursor([page.nextOffset]) };
}
