// The grace job (ADR 037): a past_due subscription keeps its tier for billing_settings.grace_days
// from past_due_since; when that ends, no webhook comes to say so, so the cron settles the
// members whose grace ended down to what their subscriptions still grant (free, usually).
import { and, eq, sql, type SQL } from "drizzle-orm";
import { getDb, schema } from "../../db/client";
import { grantedTier, paidTierWrite, tierRankSql } from "../../billing/settle";
import { commitAccessWrite } from "../access-changes";

/** Members settled per cron tick (each one batch), well inside a tick's query budget. */
export const GRACE_SLICE = 50;

/**
 * Members (community, user) holding a past_due subscription, narrowed by `where` (on
 * subscriptions `s` and memberships `m`): the one query both settlements start from.
 */
function pastDueMembers(env: Env, where: (s: typeof schema.subscriptions, m: typeof schema.memberships) => SQL | undefined) {
  const s = schema.subscriptions;
  const m = schema.memberships;
  return getDb(env)
    .selectDistinct({ communityId: s.communityId, userId: m.userId })
    .from(s)
    .innerJoin(m, and(eq(m.communityId, s.communityId), eq(m.userId, s.userId)))
    .where(and(eq(s.status, "past_due"), where(s, m)));
}

/**
 * Settle down up to GRACE_SLICE members who hold a paid tier above what their subscriptions grant at
 * `now` (ms) because a past_due grace ended. Idempotent: a member already settled is not found
 * again, and the write changes only a tier that differs. Returns how many were settled.
 */
export async function settleEndedGrace(env: Env, now = Date.now()): Promise<number> {
  // only down: a tier above what is granted; raising a tier is a webhook's (a payment's) to do
  const due = await pastDueMembers(env, (s, m) => sql`${tierRankSql(sql`${m.paidTier}`)} > ${tierRankSql(grantedTier(sql`${s.communityId}`, sql`${s.userId}`, now))}`).limit(GRACE_SLICE);
  for (const member of due) await commitAccessWrite(env, paidTierWrite(env, member.communityId, member.userId, now));
  return due.length;
}

/**
 * Settle every member of `communityId` who holds a past_due subscription to what their
 * subscriptions grant at `now` (ms), up or down — run when the owner changes the grace days, so
 * the tier follows the new grace at once (a lowered grace that has run out locks now; a raised
 * one that has not run out yet gives the tier back, matching `graceEndsAt` on /billing/me) rather
 * than only downward at the next cron tick. The write changes only a tier that differs (one
 * `tier_changed` each, sockets closed on a lock). Returns how many members were looked at.
 */
export async function settleGraceOf(env: Env, communityId: string, now = Date.now()): Promise<number> {
  const members = await pastDueMembers(env, (s) => eq(s.communityId, communityId));
  for (const { userId } of members) await commitAccessWrite(env, paidTierWrite(env, communityId, userId, now));
  return members.length;
}
