// Settling a subscription (ADR 037 "Entitlements"): whatever event woke us, the Subscription as
// Stripe holds it now is written into its `subscriptions` row, and the member's paid tier becomes
// what their subscriptions in that community grant — so events in any order end in the same state.
// The statements go into the caller's D1 batch (the webhook's, behind its processed-once guard;
// the departure handler's; the purge's).
import { and, eq, sql, type SQL } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import Stripe from "stripe";
import { getDb, schema } from "../db/client";
import { rowWhere } from "../db/insert-select";
import { tierKeys, type TierKey } from "../lib/vocabulary";
import { subscriptionStatuses } from "../db/schema";
import { writePaidTier, type PendingAccessChange } from "../domain/access-changes";

type Statement = BatchItem<"sqlite">;
type SubscriptionStatus = (typeof subscriptionStatuses)[number];

const s = schema.subscriptions;
const DAY_MS = 86_400_000;

/** Statements for one D1 batch and the access changes to announce once it committed. */
export type Settlement = { statements: Statement[]; changes: PendingAccessChange[] };

/** Statuses a subscription never leaves: its row is not rewritten, and there is nothing to cancel. */
const endedStatuses: readonly string[] = ["canceled", "incomplete_expired"];

/** SQL: the subscriptions row has ended for good (endedStatuses). */
export const rowEnded = sql`${schema.subscriptions.status} in ('canceled', 'incomplete_expired')`;

/** Whether Stripe has ended the subscription for good. */
export const hasEnded = (sub: Pick<Stripe.Subscription, "status">) => endedStatuses.includes(sub.status);

/** The Enclave ids a Subscription carries in its metadata (API.md "Billing"), or null if any is missing. */
export function enclaveMetadata(sub: Pick<Stripe.Subscription, "metadata">): { communityId: string; userId: string; tier: TierKey | null } | null {
  const { enclave_community: communityId, enclave_user: userId, enclave_tier: tier } = sub.metadata ?? {};
  if (!communityId || !userId) return null;
  return { communityId, userId, tier: (tierKeys as readonly string[]).includes(tier ?? "") ? (tier as TierKey) : null };
}

const monthsPer = (recurring: Stripe.Price.Recurring | null) =>
  recurring ? (recurring.interval === "year" ? 12 : recurring.interval === "month" ? 1 : recurring.interval === "week" ? 12 / 52 : 12 / 365) * (recurring.interval_count || 1) : 1;

/** Whether a discount still takes money off the next invoices at `now` (ms). */
function discountApplies(discount: Stripe.Discount, now: number): Stripe.Coupon | null {
  const coupon = discount.source?.coupon;
  if (!coupon || typeof coupon === "string") return null;
  // "once" took its money off the first invoice only: it does not recur
  if (coupon.duration === "once") return null;
  if (discount.end !== null && discount.end * 1000 <= now) return null;
  return coupon;
}

/** What one invoice of a subscription charges: list price, price after recurring discounts (minor units), and the months it covers. */
export type IntervalCharge = { listAmount: number; amount: number; months: number };

/**
 * What the member pays per billing interval (one invoice), in minor units of the subscription's
 * currency: each item's unit amount × quantity (`listAmount`), less the recurring discounts that
 * still apply at `now` (ms; `discounts` expanded) — percent off as a discount amount rounded to
 * a whole minor unit, as Stripe's invoices round it, then amount off in the same currency —
 * never below 0. `months` is what one interval spans (a year = 12, a week = 12/52). Trials are
 * not looked at: a trialing member sees what they will pay once it ends (with today's discounts).
 * Shared by MRR (monthlyRecurringRevenue) and the member's own plan (billing/me), so the two
 * never disagree. Source: Stripe invoice discounts (docs "Coupons and promotion codes").
 */
export function intervalCharge(sub: Stripe.Subscription, now = Date.now()): IntervalCharge {
  let listAmount = 0;
  let months = 1;
  for (const item of sub.items.data) {
    months = monthsPer(item.price.recurring);
    listAmount += (item.price.unit_amount ?? 0) * (item.quantity ?? 1);
  }
  let amount = listAmount;
  for (const entry of sub.discounts ?? []) {
    if (typeof entry === "string") continue;
    const coupon = discountApplies(entry, now);
    if (!coupon) continue;
    if (coupon.percent_off) amount -= Math.round((amount * coupon.percent_off) / 100);
    else if (coupon.amount_off && (!coupon.currency || coupon.currency === sub.currency)) amount -= coupon.amount_off;
  }
  return { listAmount, amount: Math.max(0, amount), months };
}

/**
 * Monthly recurring revenue of a subscription in minor units of its currency, after discounts:
 * what one invoice charges (intervalCharge) divided by the months its interval spans (a year ÷
 * 12), rounded to an integer. 0 unless the status is active or past_due (trialing pays nothing
 * yet). Source: Stripe's MRR definition (dashboard "MRR" docs: normalised to a month, after
 * discounts, excluding trials).
 */
export function monthlyRecurringRevenue(sub: Stripe.Subscription, now = Date.now()): number {
  if (sub.status !== "active" && sub.status !== "past_due") return 0;
  const { amount, months } = intervalCharge(sub, now);
  return Math.round(amount / months);
}

/** A tier key's rank (lib/vocabulary.ts tierRank) as SQL, for comparing tiers inside a statement. */
export const tierRankSql = (tier: SQL) => sql`case ${tier} when 'vip' then 2 when 'member' then 1 else 0 end`;

/** Grace in ms of a community (billing_settings.grace_days, default 7 days), as SQL. */
const graceMs = (communityId: SQL | string) => sql`(coalesce((select grace_days from billing_settings where community_id = ${communityId}), 7) * ${DAY_MS})`;

/**
 * SQL for the tier a member's subscriptions in a community grant at `now` (ms), evaluated where
 * it runs: the highest of active and trialing ones, and of past_due ones whose grace
 * (billing_settings.grace_days from past_due_since) has not ended; 'free' if none.
 */
export function grantedTier(communityId: string | SQL, userId: string | SQL, now: number): SQL {
  // aliased: the ids may be columns of an outer query on subscriptions (the grace job)
  return sql`(select case max(${tierRankSql(sql`g.tier_key`)}) when 2 then 'vip' when 1 then 'member' else 'free' end from subscriptions g
    where g.community_id = ${communityId} and g.user_id = ${userId}
      and (g.status in ('active', 'trialing') or (g.status = 'past_due' and coalesce(g.past_due_since, ${now}) + ${graceMs(communityId)} > ${now})))`;
}

/**
 * SQL for when a subscriptions row stops granting its tier because it is past due (ms since the
 * epoch): past_due_since (else `now`, as for a row not yet stamped) plus the community's grace —
 * the instant `grantedTier` stops counting it at. Null for any other status.
 */
export function graceEndSql(now: number): SQL<number | null> {
  return sql<number | null>`(case when ${s.status} = 'past_due' then coalesce(${s.pastDueSince}, ${now}) + ${graceMs(sql`${s.communityId}`)} end)`;
}

/** The paid tier a member's subscriptions grant now, written through access-changes (ADR 015). */
export function paidTierWrite(env: Env, communityId: string, userId: string, now: number, guard?: SQL) {
  return writePaidTier(env, { communityId, userId }, grantedTier(communityId, userId, now), guard);
}

const ms = (seconds: number | null | undefined) => (seconds ? new Date(seconds * 1000) : null);
/** The id of a Stripe field that is an id or, expanded, the object (null when absent). */
export const idOf = (value: string | { id: string } | null | undefined) => (value == null ? null : typeof value === "string" ? value : value.id);

/** One subscription to write, as just retrieved from Stripe, and the checkout that made it when known. */
export type Settled = { sub: Stripe.Subscription; checkoutSessionId?: string | null };

/**
 * Statements that write `sub` (as just retrieved from Stripe, `discounts` expanded) into its row
 * and settle the member's paid tier. The row is inserted only for a community, user and tier
 * that exist (a new row), or updated when it exists (also once anonymised: user_id and the
 * customer id stay as erasure left them); a row whose subscription ended is never rewritten, so a
 * stale state cannot bring it back. The tier is the price row's (the portal moves a member
 * between tiers by price; metadata stays as checkout wrote it), else the metadata's. `guard`
 * (SQL) conditions every statement (the webhook's "event not processed yet"). Returns null for a
 * subscription without Enclave metadata (nothing to write).
 */
export async function settlement(env: Env, sub: Stripe.Subscription, opts: { guard?: SQL; checkoutSessionId?: string | null; now?: number } = {}): Promise<Settlement | null> {
  return settlements(env, [{ sub, checkoutSessionId: opts.checkoutSessionId }], opts);
}

/**
 * settlement() for several subscriptions at once (a member's siblings in one community, ADR 040):
 * every row is written first, then each member's paid tier once — so the tier is computed over
 * all of them together and never passes through a lower value inside the batch (no spurious
 * `tier_changed`, no socket closed). Null when none of them has Enclave metadata.
 */
export async function settlements(env: Env, subs: Settled[], opts: { guard?: SQL; now?: number } = {}): Promise<Settlement | null> {
  const now = opts.now ?? Date.now();
  const guard = opts.guard ?? sql`1`;
  const statements: Statement[] = [];
  const members = new Map<string, { communityId: string; userId: string }>();
  for (const { sub, checkoutSessionId } of subs) {
    const upsert = await subscriptionUpsert(env, sub, guard, checkoutSessionId ?? null, now);
    if (!upsert) continue;
    statements.push(upsert.statement);
    members.set(`${upsert.communityId}\n${upsert.userId}`, upsert);
  }
  if (members.size === 0) return null;
  const changes: PendingAccessChange[] = [];
  for (const { communityId, userId } of members.values()) {
    const tierWrite = paidTierWrite(env, communityId, userId, now, guard);
    statements.push(tierWrite.first, ...tierWrite.rest);
    changes.push(...tierWrite.changes);
  }
  return { statements, changes };
}

/** The upsert of one subscription's row (settlement's rules), or null when there is nothing to write. */
async function subscriptionUpsert(env: Env, sub: Stripe.Subscription, guard: SQL, checkoutSessionId: string | null, now: number) {
  const meta = enclaveMetadata(sub);
  if (!meta) return null;
  const item = sub.items.data[0];
  if (!item) return null;
  const db = getDb(env);
  const p = schema.prices;
  const [price] = await db
    .select({ id: p.id, tierKey: p.tierKey })
    .from(p)
    .where(and(eq(p.communityId, meta.communityId), eq(p.stripePriceId, item.price.id)))
    .limit(1);
  const tier = price?.tierKey ?? meta.tier;
  if (!tier || tier === "free") return null;
  // a status this schema does not know (a newer API version's) is left for a later event
  const status = (subscriptionStatuses as readonly string[]).includes(sub.status) ? (sub.status as SubscriptionStatus) : null;
  if (!status) return null;
  const row = {
    id: sub.id,
    communityId: meta.communityId,
    userId: meta.userId,
    tierKey: tier,
    priceId: price?.id ?? null,
    stripePriceId: item.price.id,
    stripeCustomerId: idOf(sub.customer),
    interval: item.price.recurring?.interval === "year" ? ("year" as const) : ("month" as const),
    currency: sub.currency,
    status,
    mrr: monthlyRecurringRevenue(sub, now),
    currentPeriodEnd: ms(item.current_period_end),
    cancelAtPeriodEnd: sub.cancel_at_period_end,
    trialEnd: ms(sub.trial_end),
    pastDueSince: status === "past_due" ? new Date(now) : null,
    canceledAt: ms(sub.canceled_at),
    endedAt: ms(sub.ended_at),
    checkoutSessionId,
    createdAt: new Date(sub.created * 1000),
    updatedAt: new Date(now),
  };
  const known = sql`exists (select 1 from subscriptions where id = ${sub.id})`;
  const newcomer = sql`exists (select 1 from communities where id = ${meta.communityId})
    and exists (select 1 from users where id = ${meta.userId})
    and exists (select 1 from tiers where community_id = ${meta.communityId} and key = ${tier})`;
  const statement = db
    .insert(s)
    .select(rowWhere(s, row, sql`${guard} and (${known} or (${newcomer}))`))
    .onConflictDoUpdate({
      target: s.id,
      set: {
        tierKey: sql`excluded.tier_key`,
        priceId: sql`excluded.price_id`,
        stripePriceId: sql`excluded.stripe_price_id`,
        // an anonymised row (user_id null) keeps no customer id either
        stripeCustomerId: sql`case when ${s.userId} is null then ${s.stripeCustomerId} else excluded.stripe_customer_id end`,
        interval: sql`excluded.interval`,
        currency: sql`excluded.currency`,
        status: sql`excluded.status`,
        mrr: sql`excluded.mrr`,
        currentPeriodEnd: sql`excluded.current_period_end`,
        cancelAtPeriodEnd: sql`excluded.cancel_at_period_end`,
        trialEnd: sql`excluded.trial_end`,
        // grace counts from the first time it was seen past_due, not from each retry's event
        pastDueSince: sql`case when excluded.status = 'past_due' then coalesce(${s.pastDueSince}, excluded.past_due_since) else null end`,
        canceledAt: sql`excluded.canceled_at`,
        endedAt: sql`excluded.ended_at`,
        checkoutSessionId: sql`coalesce(excluded.checkout_session_id, ${s.checkoutSessionId})`,
        updatedAt: sql`excluded.updated_at`,
      },
      setWhere: sql`not ${rowEnded}`,
    });
  return { statement: statement as Statement, communityId: meta.communityId, userId: meta.userId };
}

/** What settling reads besides the Subscription itself: its discounts' coupons (for MRR). */
export const SUBSCRIPTION_EXPAND = ["discounts.source.coupon"];

const isMissing = (error: unknown) => error instanceof Stripe.errors.StripeInvalidRequestError && error.statusCode === 404;

/** The Subscription as Stripe holds it now, discounts expanded (for MRR); null if Stripe has none by that id. Throws Stripe's other errors. */
export async function retrieveSubscription(stripe: Stripe, id: string): Promise<Stripe.Subscription | null> {
  try {
    return await stripe.subscriptions.retrieve(id, { expand: SUBSCRIPTION_EXPAND });
  } catch (error) {
    if (isMissing(error)) return null;
    throw error;
  }
}

