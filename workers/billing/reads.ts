// Billing's guards and reads that both doors share (ADR 039 addendum): the API routes
// (api/billing.ts, api/billing-state.ts) and the billing pages (app/routes/community-billing*.tsx,
// community-revenue.tsx) call these, so a refusal or an answer cannot drift between the two.
import { and, desc, eq, isNull, sql } from "drizzle-orm";
import Stripe from "stripe";
import { getDb, schema } from "../db/client";
import { tierKeys, type TierKey } from "../lib/vocabulary";
import { forbidden, notFound } from "../lib/errors";
import { activeMember, effectiveTier, hasRole, type CommunityAccess, type MemberAccess } from "../domain/access";
import { graceEndSql, hasEnded, intervalCharge, rowEnded, SUBSCRIPTION_EXPAND, tierRankSql, type IntervalCharge } from "./settle";
import { stripeFor } from "./client";
import { viaStripe } from "./errors";
import { checkoutRefusalOf, trialOffered } from "./checkout";
import { settleCompletedCheckout } from "./webhook";
import type { CheckoutRefusal } from "../domain/schemas/billing";

const s = schema.subscriptions;

/**
 * The caller of `access` as an active member with at least `role` for billing: 404 not_found for
 * anyone who is not an active member; 403 forbidden for a member below admin where admin or owner
 * is asked, and for an admin where the owner is needed (API.md: a member lacking a role gets 403).
 */
export function billingMember(access: CommunityAccess, role: "member" | "admin" | "owner"): MemberAccess {
  const member = activeMember(access);
  if (!member) throw notFound("No such community.");
  // a member lacking the role gets 403 (API.md), as anywhere in the community
  if (role !== "member" && !hasRole(member.role, "admin")) throw forbidden(role === "owner" ? "Only the owner changes billing." : "Billing is for the community's owner and admins.");
  if (role === "owner" && member.role !== "owner") throw forbidden("Only the owner changes billing.");
  return member;
}

/** The revenue figures are the owner's: 403 forbidden for another member, 404 not_found for anyone else. */
export function revenueOwner(access: CommunityAccess): CommunityAccess {
  if (access.role === null) throw notFound("No such community.");
  if (access.role !== "owner") throw forbidden("Only the owner sees revenue.");
  return access;
}

/** Where Stripe sends the browser back: the app's public origin (APP_ORIGIN), else the request's (no trailing slash). */
export const returnOrigin = (env: Pick<Env, "APP_ORIGIN">, requestUrl: string) => (env.APP_ORIGIN || new URL(requestUrl).origin).replace(/\/$/, "");

/**
 * GET …/billing/me: the subscription that counts most (ISO instants, UTC) and the tiers.
 * `amount`: minor units the member pays per interval after their recurring discounts;
 * `listAmount`: the price's list amount per interval when it differs from `amount`, else null.
 */
export type MyBilling = {
  subscription: {
    tier: TierKey;
    status: string;
    interval: "month" | "year";
    amount: number;
    listAmount: number | null;
    currency: string;
    currentPeriodEnd: string | null;
    cancelAtPeriodEnd: boolean;
    trialEnd: string | null;
    /** past_due only: when it stops granting its tier (the end of the community's grace, settle.ts graceEndSql); else null */
    graceEndsAt: string | null;
  } | null;
  paidTier: TierKey;
  compTier: TierKey | null;
  tier: TierKey;
  /** why checkout would refuse the caller whatever the tier (owner/admin, or a live plan to manage in the portal), or null */
  checkoutRefusal: CheckoutRefusal | null;
  /** whether checkout would give a tier's trial now: payments configured, no checkoutRefusal, never had a subscription here (ADR 041) */
  trialEligible: boolean;
};

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/** How long the member's plan waits for Stripe's view of the price before answering from stored rows (ms). */
export const PLAN_PRICE_TIMEOUT_MS = 3_000;

type PlanRow = { sub: typeof s.$inferSelect; priceAmount: number | null; graceEnd: number | null };

/**
 * What a subscription row says one interval costs, when Stripe cannot be asked: the list price
 * from its prices row (else its MRR times the interval's months); after discounts, the stored
 * MRR (minor units a month after discounts, kept only while it pays) — exact for a monthly plan,
 * times 12 for a yearly one when a discount makes it differ from the list price (within a few
 * minor units of rounding). A trial's discount is not stored: it shows the list price.
 */
function storedCharge({ sub, priceAmount }: PlanRow): IntervalCharge {
  const months = sub.interval === "year" ? 12 : 1;
  const listAmount = priceAmount ?? sub.mrr * months;
  if (sub.mrr <= 0 || sub.mrr === Math.round(listAmount / months)) return { listAmount, amount: listAmount, months };
  return { listAmount, amount: sub.mrr * months, months };
}

/**
 * One interval's list price and price after discounts for the plan: from the Subscription as
 * Stripe holds it now (intervalCharge, as MRR is computed) while it has not ended; from the
 * stored row for an ended one, without Stripe, or when Stripe does not answer within
 * PLAN_PRICE_TIMEOUT_MS (the page still opens while Stripe is down). Throws nothing.
 */
async function planCharge(env: Env, row: PlanRow): Promise<IntervalCharge> {
  const stripe = hasEnded(row.sub) ? null : stripeFor(env);
  if (!stripe) return storedCharge(row);
  try {
    const live = await stripe.subscriptions.retrieve(row.sub.id, { expand: SUBSCRIPTION_EXPAND }, { timeout: PLAN_PRICE_TIMEOUT_MS, maxNetworkRetries: 0 });
    return intervalCharge(live);
  } catch (error) {
    // a subscription Stripe does not know (a row made by hand) is not worth a warning
    if (!(error instanceof Stripe.errors.StripeInvalidRequestError && error.statusCode === 404)) {
      console.warn("plan price from stored rows", { subscription: row.sub.id, message: error instanceof Error ? error.message : String(error) });
    }
    return storedCharge(row);
  }
}

/**
 * The member's plan in the community: a live subscription before an ended one, the higher tier
 * first, then the newest; with their paid, comp and effective tier. `amount` is what they pay
 * per interval after discounts (planCharge: one Stripe read for a plan that has not ended);
 * `graceEndsAt` judged at `now` (ms) for a past-due one. Throws nothing of its own.
 */
export async function readMyBilling(env: Env, access: MemberAccess, now = Date.now()): Promise<MyBilling> {
  const p = schema.prices;
  const [row] = await getDb(env)
    .select({ sub: s, priceAmount: p.amount, graceEnd: graceEndSql(now) })
    .from(s)
    .leftJoin(p, eq(p.id, s.priceId))
    .where(and(eq(s.communityId, access.community.id), eq(s.userId, access.membership.userId)))
    .orderBy(sql`case when ${rowEnded} then 1 else 0 end`, desc(tierRankSql(sql`${s.tierKey}`)), desc(s.createdAt))
    .limit(1);
  const sub = row?.sub;
  const [checkoutRefusal, charge] = await Promise.all([
    checkoutRefusalOf(env, access.community.id, access.membership, access.membership.userId),
    row ? planCharge(env, row) : null,
  ]);
  // the read above is trialEligibleOf's question (any subscription of theirs here, any status): no second read
  const trialEligible = trialOffered(env, !row, checkoutRefusal);
  return {
    subscription:
      sub && charge
        ? {
            tier: sub.tierKey,
            status: sub.status,
            interval: sub.interval,
            amount: charge.amount,
            listAmount: charge.listAmount !== charge.amount ? charge.listAmount : null,
            currency: sub.currency,
            currentPeriodEnd: iso(sub.currentPeriodEnd),
            cancelAtPeriodEnd: sub.cancelAtPeriodEnd,
            trialEnd: iso(sub.trialEnd),
            graceEndsAt: row.graceEnd === null ? null : iso(new Date(Number(row.graceEnd))),
          }
        : null,
    paidTier: access.membership.paidTier,
    compTier: access.membership.compTier,
    tier: effectiveTier(access.membership),
    checkoutRefusal,
    trialEligible,
  };
}

/** A checkout session as Stripe holds it (its subscription expanded), or null when Stripe has no such session. Throws 502 stripe_unavailable. */
async function checkoutSession(stripe: Stripe, sessionId: string): Promise<Stripe.Checkout.Session | null> {
  // a session Stripe does not know is nobody's; any other failure is 502 stripe_unavailable
  return viaStripe(() =>
    stripe.checkout.sessions
      .retrieve(sessionId, { expand: ["subscription"] })
      .catch((error: unknown) => (error instanceof Stripe.errors.StripeInvalidRequestError ? null : Promise.reject(error))),
  );
}

/**
 * How long after a checkout's subscription was created (ms) the poll settles it itself: its
 * webhook normally lands within seconds, and the success page polls for a minute before saying
 * it takes longer, so the catch-up only acts once the webhook is clearly late.
 */
export const CATCH_UP_AFTER_MS = 10_000;

/** Whether a completed session's subscription is older than CATCH_UP_AFTER_MS at `now` (ms): its webhook is late. */
function webhookLate(session: Stripe.Checkout.Session, now: number): boolean {
  const sub = session.subscription;
  if (session.status !== "complete" || !sub) return false;
  // not expanded: no creation time to wait on
  if (typeof sub === "string") return true;
  return sub.created * 1000 + CATCH_UP_AFTER_MS <= now;
}

/** Whose checkout session it is, by its metadata; null when it carries no Enclave metadata. */
function sessionOwner(session: Stripe.Checkout.Session | null): { userId: string; communityId: string; tier: TierKey } | null {
  const { enclave_user: userId, enclave_community: communityId, enclave_tier: tier } = session?.metadata ?? {};
  if (!userId || !communityId || !(tierKeys as readonly string[]).includes(tier ?? "")) return null;
  return { userId, communityId, tier: tier as TierKey };
}

/** GET …/billing/checkout/:sessionId: "done" once the purchase is settled. */
export type CheckoutState = { state: "waiting" | "done"; tier: TierKey };

/** The stored row a checkout session made, if settled. */
async function landedCheckout(env: Env, communityId: string, sessionId: string) {
  const [landed] = await getDb(env)
    .select({ userId: s.userId, tier: s.tierKey })
    .from(s)
    .where(and(eq(s.checkoutSessionId, sessionId), eq(s.communityId, communityId)))
    .limit(1);
  return landed;
}

/**
 * Whether the checkout `sessionId` of `userId` in `slug` has landed (its subscription row is
 * stored) or is still waiting. A visitor who bought from the pricing page may not be a member
 * yet, so only the session's own user is checked, not membership. Catch-up (ADR 038 addendum):
 * while nothing has landed, the session is asked of Stripe; once it is complete with a
 * subscription created more than CATCH_UP_AFTER_MS ago, that subscription is settled here
 * through the webhook's own path (Stripe's current state, joining included), so a webhook missed
 * while the app was down does not leave a paying member waiting; the webhook arriving later
 * settles the same state again and changes nothing. `now`: ms, the clock the lateness is judged by.
 * @throws 404 not_found for an unknown community or session, or one that is someone else's (the
 *   same answer, so nobody learns whether it exists); 502 stripe_unavailable
 */
export async function readCheckoutState(env: Env, slug: string, userId: string, sessionId: string, now = Date.now()): Promise<CheckoutState> {
  const cm = schema.communities;
  const [community] = await getDb(env).select({ id: cm.id }).from(cm).where(and(eq(cm.slug, slug), isNull(cm.deletedAt))).limit(1);
  if (!community) throw notFound("No such checkout.");
  const landed = await landedCheckout(env, community.id, sessionId);
  if (landed) {
    if (landed.userId !== userId) throw notFound("No such checkout.");
    return { state: "done", tier: landed.tier };
  }
  const stripe = stripeFor(env);
  const session = stripe ? await checkoutSession(stripe, sessionId) : null;
  const owner = sessionOwner(session);
  if (!stripe || !session || !owner || owner.userId !== userId || owner.communityId !== community.id) throw notFound("No such checkout.");
  if (webhookLate(session, now)) {
    await settleCompletedCheckout(env, stripe, session);
    const settled = await landedCheckout(env, community.id, sessionId);
    if (settled) return { state: "done", tier: settled.tier };
  }
  return { state: "waiting", tier: owner.tier };
}
