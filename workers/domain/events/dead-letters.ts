// Dead letters (ADR 014): domain events whose handlers kept failing after MAX_EVENT_ATTEMPTS.
// Platform operators see every one (GET /api/v1/platform/dead-letters); a community's admins see
// those of their community. Either can send one back to be tried again once the cause is fixed.
// What is shown is the event's kind, subject ids, attempts and last error — never personal text:
// the payload holds ids only.
import { and, desc, eq, or, sql, type SQL } from "drizzle-orm";
import { getDb, schema } from "../../db/client";
import { notFound } from "../../lib/errors";
import type { Page, PageRequest } from "../communities/types";
import { announceEvents } from "./emit";
import { olderThan, pageRequest, pageResponse } from "../paging";
import { assertMemberRole, openMembership, requireReaderUser } from "../access";
import type { Reader } from "../auth/reader";
import { isOperator } from "../communities/create-community";

const e = schema.domainEvents;

export type DeadLetterView = {
  id: string;
  kind: string;
  communityId: string | null;
  /** where it happened, for the operators' page; null for platform-wide work (mail) */
  community: { id: string; slug: string; name: string } | null;
  subject: { type: string; id: string };
  /** the post the subject is or belongs to (post and comment events), so a page can link it; else null */
  postId: string | null;
  attempts: number;
  /** the last attempt's errors, one per failing handler: "search: D1_ERROR …" */
  lastError: string | null;
  /** which of the kind's handlers did finish */
  handled: string[];
  createdAt: string;
};

/** Whose dead letters: a community's (its admins) or all of them (platform operators). */
export type DeadLetterScope = { communityId: string } | { platform: true };

const inScope = (scope: DeadLetterScope): SQL | undefined => ("communityId" in scope ? eq(e.communityId, scope.communityId) : undefined);

/** A page of dead letters in the scope, newest first. */
export async function listDeadLetters(env: Env, scope: DeadLetterScope, page: PageRequest): Promise<Page<DeadLetterView>> {
  const after = page.after;
  const rows = await getDb(env)
    .select({ event: e, community: { slug: schema.communities.slug, name: schema.communities.name } })
    .from(e)
    .leftJoin(schema.communities, eq(schema.communities.id, e.communityId))
    .where(
      and(
        eq(e.status, "dead"),
        inScope(scope),
        olderThan(after, e.createdAt, e.id),
      ),
    )
    .orderBy(desc(e.createdAt), desc(e.id))
    .limit(page.limit + 1);
  const items = rows.slice(0, page.limit).map(
    ({ event: row, community }): DeadLetterView => ({
      id: row.id,
      kind: row.kind,
      communityId: row.communityId,
      community: row.communityId && community?.slug ? { id: row.communityId, slug: community.slug, name: community.name } : null,
      subject: { type: row.subjectType, id: row.subjectId },
      postId: typeof row.payload.postId === "string" ? row.payload.postId : null,
      attempts: row.attempts,
      lastError: row.lastError,
      handled: row.handled,
      createdAt: row.createdAt.toISOString(),
    }),
  );
  const last = rows.length > page.limit ? rows[page.limit - 1].event : null;
  return { items, next: last ? [last.createdAt.getTime(), last.id] : null };
}

/** How many dead letters the scope holds (the settings tab's badge). */
export async function countDeadLetters(env: Env, scope: DeadLetterScope): Promise<number> {
  const [row] = await getDb(env)
    .select({ n: sql<number>`count(*)` })
    .from(e)
    .where(and(eq(e.status, "dead"), inScope(scope)));
  return Number(row?.n ?? 0);
}

/**
 * Send a dead letter back to be tried again: a fresh MAX_EVENT_ATTEMPTS, due now, the handlers
 * that had finished still skipped. 404 when no dead letter has that id in the scope (another
 * community's, already retried, or never dead).
 */
export async function retryDeadLetter(env: Env, scope: DeadLetterScope, id: string): Promise<void> {
  const [row] = await getDb(env)
    .update(e)
    .set({ status: "pending", attempts: 0, nextAttemptAt: new Date(), claimedUntil: null })
    .where(and(eq(e.id, id), eq(e.status, "dead"), inScope(scope)))
    .returning({ id: e.id });
  if (!row) throw notFound("No such dead letter.");
  await announceEvents(env, [row.id]);
}

/** The platform's dead letters, for an operator (OPERATOR_EMAILS); 401 signed out, 404 to anyone else (the route "does not exist"). */
export async function platformDeadLetterScope(env: Env, reader: Reader): Promise<DeadLetterScope> {
  const user = await requireReaderUser(reader);
  if (!isOperator(env, user.email)) throw notFound("Not found.");
  return { platform: true };
}

/** A community's dead letters, for its admins and owner (401/403/404 as openMembership and assertMemberRole). */
export async function communityDeadLetterScope(env: Env, slug: string, reader: Reader): Promise<DeadLetterScope> {
  const access = assertMemberRole(await openMembership(env, slug, reader), "admin");
  return { communityId: access.community.id };
}

/** One page of the scope's dead letters, newest first, with the scope's total (GET .../dead-letters). */
export async function readDeadLetters(env: Env, scope: DeadLetterScope, query: { limit: number; cursor?: string }) {
  const [page, total] = await Promise.all([listDeadLetters(env, scope, pageRequest(query)), countDeadLetters(env, scope)]);
  return { ...pageResponse(page), total };
}
