// Whom the composer offers after "@": the community's active members whose name starts with what
// was typed, or has a later word that does ("chen" finds "Daniel Chen"), among those who can read
// the space being written in. Matching compares users.name_folded (foldCase, written in JavaScript
// with the name) with the folded query, so "élodie" finds "Élodie" and "İz" finds "İzmir" —
// SQLite's lower() folds ASCII only and D1 has no ICU.
import { and, asc, eq, isNull, ne, sql } from "drizzle-orm";
import { getDb, schema } from "../../db/client";
import type { Role } from "../../db/schema";
import { foldCase } from "../../lib/text";
import { notFound, tierRequired } from "../../lib/errors";
import { communityAccess, effectiveTier, requireReaderUser, toCommunityAccess } from "../access";
import type { Reader } from "../auth/reader";
import { canReadSpace, loadReaderScope, readableSpaceIds, scopeSpacesBySlug, toScopeSpaces, viewerSpaceVisibility, type ReaderScope, type Viewer } from "../readable";

/** Suggestions per answer when the caller does not say: about what fits beside a textarea. */
export const DEFAULT_SUGGESTIONS = 8;
/** The most a caller may ask for. */
export const MAX_SUGGESTIONS = 20;

/**
 * `role` and `joinedAt` (ISO date) tell namesakes apart: the owner from a newcomer of the same
 * name, and two members of one role by when they joined.
 */
export type MentionSuggestion = { id: string; name: string; avatarUrl: string | null; role: Role; joinedAt: string };

const m = schema.memberships;
const u = schema.users;
const sm = schema.spaceMembers;

/**
 * The matching members of one community, name-start matches first, then later-word matches, each
 * alphabetical by folded name. Driven by the memberships primary key (community_id, user_id), so
 * it reads one community's members and never the platform's users. The range on
 * users.name_folded (its index) would serve a name-start match alone, but a later word of a name
 * is inside the column where no index reaches, and driving from that index walks every user on
 * the platform whose name shares the prefix, members of this community or not: for a small
 * community on a large platform that is the worse plan. A community's members are thousands at
 * most, a few milliseconds for SQLite to filter.
 */
function matchingMembers(env: Env, communityId: string, spaceId: string, folded: string, excludeUserId: string) {
  // a word starts at the beginning of the name or after a space (cleanName keeps single spaces)
  const wordStart = sql`instr(' ' || ${u.nameFolded}, ${` ${folded}`}) > 0`;
  const nameStart = sql<number>`case when instr(${u.nameFolded}, ${folded}) = 1 then 0 else 1 end`;
  return getDb(env)
    .select({
      id: u.id,
      name: u.name,
      avatarUrl: u.avatarUrl,
      role: m.role,
      joinedAt: m.joinedAt,
      paidTier: m.paidTier,
      compTier: m.compTier,
      listed: sql<number>`${sm.userId} is not null`.as("listed"),
    })
    .from(m)
    .innerJoin(u, eq(u.id, m.userId))
    .leftJoin(sm, and(eq(sm.spaceId, spaceId), eq(sm.userId, m.userId)))
    .where(and(eq(m.communityId, communityId), eq(m.status, "active"), ne(m.userId, excludeUserId), isNull(u.deletedAt), wordStart))
    .orderBy(nameStart, asc(u.nameFolded), asc(u.id));
}

/**
 * Up to `limit` members to offer for a mention in `spaceId` (a space of `scope`'s community the
 * caller has been checked to read), as [{ id, name, avatarUrl, role }]. `query` is the text typed after
 * "@" (any case, any script; "" offers everyone); the caller (`excludeUserId`) is never offered.
 * Who can read the space is decided by the same rules as every other read (discussions/access.ts
 * spaceVisibility through readable.ts canReadSpace), applied to each candidate in turn; a first
 * statement reads a few times `limit`, and only when readers are scarcer than that (a VIP space
 * among free members) does a second read the rest.
 */
export async function suggestMentions(
  env: Env,
  scope: ReaderScope,
  spaceId: string,
  query: string,
  limit: number,
  excludeUserId: string,
): Promise<MentionSuggestion[]> {
  const space = scope.spaces.get(spaceId);
  if (!space) return [];
  const folded = foldCase(query);
  const out: MentionSuggestion[] = [];
  const take = (rows: Awaited<ReturnType<typeof matchingMembers>>) => {
    for (const row of rows) {
      if (out.length >= limit) break;
      const viewer: Viewer = {
        userId: row.id,
        role: row.role,
        tier: effectiveTier(row),
        listedIn: new Set(Number(row.listed) === 1 ? [spaceId] : []),
      };
      if (canReadSpace(viewer, space, scope.communityPrivate)) out.push({ id: row.id, name: row.name, avatarUrl: row.avatarUrl, role: row.role, joinedAt: row.joinedAt.toISOString() });
    }
  };
  const first = limit * 4;
  const rows = await matchingMembers(env, scope.communityId, spaceId, folded, excludeUserId).limit(first);
  take(rows);
  if (out.length < limit && rows.length === first) {
    // SQLite takes an OFFSET only after a LIMIT
    take(await matchingMembers(env, scope.communityId, spaceId, folded, excludeUserId).limit(Number.MAX_SAFE_INTEGER).offset(first));
  }
  return out;
}

/**
 * GET /communities/{slug}/mention-suggestions for `reader`: at most `limit` members who can read
 * `spaceId` and whose name matches `q` (suggestMentions). Members only: 401 signed out, 404 for a
 * non-member (a public community's visitors learn nothing either) and for a space they cannot
 * read; 403 tier_required for one listed but above their tier, as reading it answers.
 */
export async function offerMentions(env: Env, reader: Reader, slug: string, query: { q: string; spaceId: string; limit: number }): Promise<MentionSuggestion[]> {
  const { q, spaceId, limit } = query;
  // the session, the membership and the community's spaces in one round trip (ADR 010)
  const values = { ...reader.placeholders(), slug };
  const { results } = await reader.runBound([communityAccess(env, reader.shape, values), scopeSpacesBySlug(env, reader.shape, values)] as const);
  const user = await requireReaderUser(reader);
  const access = toCommunityAccess(results[0]);
  if (!access?.membership) throw notFound("No such community.");
  const scope = await loadReaderScope(env, user.id, access.community.id, access, toScopeSpaces(results[1]));
  if (!scope) throw notFound("No such space.");
  if (!readableSpaceIds(scope).includes(spaceId)) {
    const space = scope.spaces.get(spaceId);
    if (space && viewerSpaceVisibility(scope.viewer, space, scope.communityPrivate) === "locked") throw tierRequired(space.minTier);
    throw notFound("No such space.");
  }
  return suggestMentions(env, scope, spaceId, q, limit, user.id);
}
