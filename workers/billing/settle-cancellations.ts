// Cancellations that follow from access (ADR 037): a payer who leaves, is removed or is banned
// keeps what they paid for until the period ends and is not charged again (cancel_at_period_end);
// an erased account's subscriptions end at once (the data-rights purge, data-rights.ts).
import { and, eq, inArray, sql } from "drizzle-orm";
import type Stripe from "stripe";
import { getDb, schema } from "../db/client";
import { liveSubscriptionStatuses } from "../db/schema";
import { afterAccessCommitted, onAccessChanged, type AccessChange } from "../domain/access-changes";
import { requireStripe } from "./errors";
import { refundInvoice } from "./duplicates";
import { hasEnded, idOf, retrieveSubscription, rowEnded, settlement, SUBSCRIPTION_EXPAND } from "./settle";

const s = schema.subscriptions;

const departures = new Set(["member_left", "member_removed", "member_banned"]);

/** Write what Stripe answered into the row and the paid tier, as a webhook would (no event guard). */
export async function settleNow(env: Env, sub: Stripe.Subscription): Promise<void> {
  const settled = await settlement(env, sub);
  if (!settled || settled.statements.length === 0) return;
  const [first, ...rest] = settled.statements;
  await getDb(env).batch([first, ...rest]);
  await afterAccessCommitted(env, settled.changes);
}

/**
 * Billing's access listener: on a departure (left, removed, banned) every renewing subscription
 * of that member in that community is set to cancel at period end in Stripe, then settled — right
 * after the departure commits (so the Payments page read next already says it will not renew),
 * and as the spine's "billing" handler of `access.changed`, its retry. Idempotent (a subscription already set
 * is skipped, so a retry only does what failed; no Stripe call unless the member has a renewing
 * row there); does nothing if the member is active again by the time it runs. Throws Stripe's
 * errors, so the spine retries.
 */
export async function cancelOnDeparture(env: Env, change: AccessChange): Promise<void> {
  const { reason, communityId, userId } = change;
  if (!userId || !departures.has(reason)) return;
  const db = getDb(env);
  const m = schema.memberships;
  const [back] = await db
    .select({ userId: m.userId })
    .from(m)
    .where(and(eq(m.communityId, communityId), eq(m.userId, userId), eq(m.status, "active")))
    .limit(1);
  if (back) return;
  const rows = await db
    .select({ id: s.id })
    .from(s)
    .where(and(eq(s.communityId, communityId), eq(s.userId, userId), inArray(s.status, [...liveSubscriptionStatuses]), sql`${s.cancelAtPeriodEnd} = 0`));
  if (rows.length === 0) return;
  const stripe = requireStripe(env);
  for (const row of rows) {
    const sub = await retrieveSubscription(stripe, row.id);
    if (!sub || hasEnded(sub)) {
      if (sub) await settleNow(env, sub);
      continue;
    }
    const updated = sub.cancel_at_period_end ? sub : await stripe.subscriptions.update(sub.id, { cancel_at_period_end: true, expand: SUBSCRIPTION_EXPAND });
    await settleNow(env, updated);
  }
}

/** Register billing's departure cancellation with the access module (once per isolate, at module load); its retry is the spine's "billing" handler. */
export const unregisterBillingDeparture = onAccessChanged((env, pending) => cancelOnDeparture(env, pending.change), { ownRetry: true });

/**
 * The rules a subscription's webhook holds Stripe to before it is settled (ADR 042 addendum),
 * each judged against the row Enclave stored for it (one D1 read, with the member's status):
 * - A plan Enclave set to cancel because its member left, was removed or was banned stays set:
 *   when Stripe reports it renewing again (cancel_at_period_end false — "Don't cancel" in the
 *   portal) while the stored row says it cancels, and the membership row is not active (left,
 *   removed, banned), it is set to cancel at period end again, so no one is charged for access
 *   they do not have. A new subscription (no stored row, or one stored renewing) is never touched:
 *   buying again from the pricing page is joining again.
 * - A free trial is for the plan it began on: when a trialing subscription's price differs from
 *   the stored trialing row's (a switch in the portal — to a tier with a shorter trial or none, or
 *   another interval), the trial ends and the new plan is paid from now (`trial_end: now`), so a
 *   Member trial cannot become a free VIP one.
 * - A former member does not change plans: when the price differs from the stored row's and the
 *   membership is not active (a portal page opened before leaving, removal or a ban), what the
 *   switch's invoice took is refunded (a change of interval is invoiced at once) and the
 *   subscription ends now. Putting the old price back is no remedy: Stripe invoices a change of
 *   interval at once, so the way back would charge them again; the period they had paid for gave
 *   them nothing since they left.
 * Answers the Subscription as it now stands. Throws Stripe's errors.
 */
export async function holdToAccessRules(env: Env, stripe: Stripe, sub: Stripe.Subscription): Promise<Stripe.Subscription> {
  const price = sub.items.data[0]?.price.id;
  // a live subscription always has its item: every rule is judged against the stored row (one read)
  if (hasEnded(sub) || price === undefined) return sub;
  const m = schema.memberships;
  const [stored] = await getDb(env)
    .select({ cancelAtPeriodEnd: s.cancelAtPeriodEnd, status: s.status, stripePriceId: s.stripePriceId, memberStatus: m.status })
    .from(s)
    .leftJoin(m, and(eq(m.communityId, s.communityId), eq(m.userId, s.userId)))
    .where(eq(s.id, sub.id))
    .limit(1);
  if (!stored) return sub;
  const departed = stored.memberStatus !== null && stored.memberStatus !== "active";
  let current = sub;
  if (departed && stored.stripePriceId && stored.stripePriceId !== price) {
    // refund first, so a retry after a failed cancel still sees the switch and finishes
    const invoice = idOf(sub.latest_invoice);
    if (invoice && (await stripe.invoices.retrieve(invoice)).billing_reason === "subscription_update") {
      await refundInvoice(stripe, invoice, {
        reason: "requested_by_customer",
        metadata: { enclave_subscription: sub.id, enclave_reason: "plan_change_after_leaving" },
        key: "enclave-departed-switch-refund",
      });
    }
    return endNow(stripe, sub);
  }
  if (!sub.cancel_at_period_end && stored.cancelAtPeriodEnd && departed) {
    current = await stripe.subscriptions.update(sub.id, { cancel_at_period_end: true, expand: SUBSCRIPTION_EXPAND });
  }
  if (sub.status === "trialing" && current.status === "trialing" && stored.status === "trialing" && stored.stripePriceId !== price) {
    current = await stripe.subscriptions.update(sub.id, { trial_end: "now", expand: SUBSCRIPTION_EXPAND });
  }
  return current;
}

/**
 * `sub` cancelled at once in Stripe (the cancelled Subscription), or `sub` itself if it has
 * ended already — so a retry after the cancel went through only settles. Throws Stripe's errors.
 */
export const endNow = async (stripe: Stripe, sub: Stripe.Subscription): Promise<Stripe.Subscription> =>
  hasEnded(sub) ? sub : stripe.subscriptions.cancel(sub.id, { expand: SUBSCRIPTION_EXPAND });

/**
 * Cancel at once every subscription of a Stripe customer that has not ended, and settle each
 * (erasure). Returns how many were cancelled. Throws Stripe's errors (the purge is retried).
 */
export async function cancelCustomerNow(env: Env, customerId: string): Promise<number> {
  const rows = await getDb(env)
    .select({ id: s.id })
    .from(s)
    .where(and(eq(s.stripeCustomerId, customerId), sql`not ${rowEnded}`));
  if (rows.length === 0) return 0;
  const stripe = requireStripe(env);
  let cancelled = 0;
  for (const row of rows) {
    const sub = await retrieveSubscription(stripe, row.id);
    if (!sub) continue;
    const ended = await endNow(stripe, sub);
    if (ended !== sub) cancelled++;
    await settleNow(env, ended);
  }
  return cancelled;
}
