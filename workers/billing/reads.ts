// Billing's guards and reads that both doors share (ADR 039 addendum): the API routes
// (api/billing.ts, api/billing-state.ts) and the billing pages (app/routes/community-billing*.tsx,
// community-revenue.tsx) call these, so a refusal or an answer cannot drift between the two.
import { and, desc, eq, isNull, sql } from "drizzle-orm";
import Stripe from "stripe";
import { getDb, schema } from "../db/client";
import { tierKeys, type TierKey } from "../lib/vocabulary";
import { forbidden, notFound } from "../lib/errors";
import { activeMember, effectiveTier, hasRole, type CommunityAccess, type MemberAccess } from "../domain/access";
import { rowEnded, tierRankSql } from "./settle";
import { stripeFor } from "./client";
import { viaStripe } from "./errors";
import { checkoutRefusalOf, trialEligibleOf } from "./checkout";
import type { CheckoutRefusal } from "../domain/schemas/billing";

const s = schema.subscriptions;

/**
 * The caller of `access` as an active member with at least `role` for billing: 404 not_found for
 * anyone who is not an active member, and for a member below admin where admin or owner is asked
 * (billing is not theirs to know about); 403 forbidden for an admin where the owner is needed.
 */
export function billingMember(access: CommunityAccess, role: "member" | "admin" | "owner"): MemberAccess {
  const member = activeMember(access);
  if (!member || (role !== "member" && !hasRole(member.role, "admin"))) throw notFound("No such community.");
  if (role === "owner" && member.role !== "owner") throw forbidden("Only the owner changes billing.");
  return member;
}

/** The revenue figures are the owner's: 403 forbidden for an admin, 404 not_found for anyone else. */
export function revenueOwner(access: CommunityAccess): CommunityAccess {
  if (access.role === "admin") throw forbidden("Only the owner sees revenue.");
  if (access.role !== "owner") throw notFound("No such community.");
  return access;
}

/** Where Stripe sends the browser back: the app's public origin (APP_ORIGIN), else the request's (no trailing slash). */
export const returnOrigin = (env: Pick<Env, "APP_ORIGIN">, requestUrl: string) => (env.APP_ORIGIN || new URL(requestUrl).origin).replace(/\/$/, "");

/** GET …/billing/me: the subscription that counts most (ISO instants, UTC; `amount` minor units per interval) and the tiers. */
export type MyBilling = {
  subscription: {
    tier: TierKey;
    status: string;
    interval: "month" | "year";
    amount: number;
    currency: string;
    currentPeriodEnd: string | null;
    cancelAtPeriodEnd: boolean;
    trialEnd: string | null;
  } | null;
  paidTier: TierKey;
  compTier: TierKey | null;
  tier: TierKey;
  /** why checkout would refuse the caller whatever the tier (owner/admin, or a live plan to manage in the portal), or null */
  checkoutRefusal: CheckoutRefusal | null;
  /** whether checkout would still give a tier's trial: never had a subscription here (ADR 041) */
  trialEligible: boolean;
};

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/**
 * The member's plan in the community: a live subscription before an ended one, the higher tier
 * first, then the newest; with their paid, comp and effective tier. Throws nothing of its own.
 */
export async function readMyBilling(env: Env, access: MemberAccess): Promise<MyBilling> {
  const p = schema.prices;
  const [row] = await getDb(env)
    .select({ sub: s, priceAmount: p.amount })
    .from(s)
    .leftJoin(p, eq(p.id, s.priceId))
    .where(and(eq(s.communityId, access.community.id), eq(s.userId, access.membership.userId)))
    .orderBy(sql`case when ${rowEnded} then 1 else 0 end`, desc(tierRankSql(sql`${s.tierKey}`)), desc(s.createdAt))
    .limit(1);
  const sub = row?.sub;
  const checkoutRefusal = await checkoutRefusalOf(env, access.community.id, access.membership, access.membership.userId);
  const trialEligible = await trialEligibleOf(env, access.community.id, access.membership.userId);
  return {
    subscription: sub
      ? {
          tier: sub.tierKey,
          status: sub.status,
          interval: sub.interval,
          amount: row.priceAmount ?? sub.mrr * (sub.interval === "year" ? 12 : 1),
          currency: sub.currency,
          currentPeriodEnd: iso(sub.currentPeriodEnd),
          cancelAtPeriodEnd: sub.cancelAtPeriodEnd,
          trialEnd: iso(sub.trialEnd),
        }
      : null,
    paidTier: access.membership.paidTier,
    compTier: access.membership.compTier,
    tier: effectiveTier(access.membership),
    checkoutRefusal,
    trialEligible,
  };
}

/** Whose checkout session it is, by its metadata; null when Stripe has no such session. */
async function sessionOwner(env: Env, sessionId: string): Promise<{ userId: string; communityId: string; tier: TierKey } | null> {
  const stripe = stripeFor(env);
  if (!stripe) return null;
  // a session Stripe does not know is nobody's; any other failure is 502 stripe_unavailable
  const session = await viaStripe(() =>
    stripe.checkout.sessions.retrieve(sessionId).catch((error: unknown) => (error instanceof Stripe.errors.StripeInvalidRequestError ? null : Promise.reject(error))),
  );
  const { enclave_user: userId, enclave_community: communityId, enclave_tier: tier } = session?.metadata ?? {};
  if (!userId || !communityId || !(tierKeys as readonly string[]).includes(tier ?? "")) return null;
  return { userId, communityId, tier: tier as TierKey };
}

/** GET …/billing/checkout/:sessionId: "done" once the webhook landed. */
export type CheckoutState = { state: "waiting" | "done"; tier: TierKey };

/**
 * Whether the checkout `sessionId` of `userId` in `slug` has landed (its subscription row is
 * stored) or is still waiting for the webhook. A visitor who bought from the pricing page may not
 * be a member yet, so only the session's own user is checked, not membership.
 * @throws 404 not_found for an unknown community or session, or one that is someone else's (the
 *   same answer, so nobody learns whether it exists); 502 stripe_unavailable
 */
export async function readCheckoutState(env: Env, slug: string, userId: string, sessionId: string): Promise<CheckoutState> {
  const cm = schema.communities;
  const [community] = await getDb(env).select({ id: cm.id }).from(cm).where(and(eq(cm.slug, slug), isNull(cm.deletedAt))).limit(1);
  if (!community) throw notFound("No such checkout.");
  const [landed] = await getDb(env)
    .select({ userId: s.userId, tier: s.tierKey })
    .from(s)
    .where(and(eq(s.checkoutSessionId, sessionId), eq(s.communityId, community.id)))
    .limit(1);
  if (landed) {
    if (landed.userId !== userId) throw notFound("No such checkout.");
    return { state: "done", tier: landed.tier };
  }
  const owner = await sessionOwner(env, sessionId);
  if (!owner || owner.userId !== userId || owner.communityId !== community.id) throw notFound("No such checkout.");
  return { state: "waiting", tier: owner.tier };
}
