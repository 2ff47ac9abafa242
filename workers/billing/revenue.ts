// The owner's revenue figures (ADR 037, issue 14 §6), from stored subscription rows only — no
// Stripe call, so the page is as fast as any other read and works while Stripe is down.
import { and, eq, sql } from "drizzle-orm";
import { getDb, schema } from "../db/client";
import type { TierKey } from "../lib/vocabulary";

const s = schema.subscriptions;
const DAY_MS = 86_400_000;

/** The trailing window of the upgrade rate (free-to-paid conversion), in days. */
export const UPGRADE_WINDOW_DAYS = 30;
/** Months of MRR history, the current one included. */
export const HISTORY_MONTHS = 6;

export type Revenue = {
  /** the community's price currency (lowercase ISO 4217); history is in it */
  currency: string;
  /** minor units per month after discounts, active and past_due only (trialing pays nothing yet): settle.ts monthlyRecurringRevenue, the same charge billing/me shows per interval */
  mrr: { tier: TierKey; currency: string; amount: number }[];
  subscribers: { active: number; trialing: number; pastDue: number };
  newThisMonth: number;
  churnedThisMonth: number;
  /** free-to-paid conversion over the last 30 days, 0..1, or null with nobody free to convert (definition: upgradeRate below, ADR 037 addendum) */
  upgradeRate: number | null;
  /** oldest first; `mrr` in minor units of `currency` at each month's end (now for this month) */
  history: { month: string; mrr: number }[];
  /**
   * The same months for every currency revenue was earned in (the community's currency first,
   * then by code), so a currency change does not hide the months before it; amounts are never
   * converted between currencies.
   */
  historyByCurrency: { currency: string; history: { month: string; mrr: number }[] }[];
};

/** 00:00 UTC on the first of the month `back` months before `now`'s (ms). */
const monthStart = (now: number, back = 0) => {
  const d = new Date(now);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - back, 1);
};
const monthKey = (ms: number) => new Date(ms).toISOString().slice(0, 7);

const neverPaid = ["incomplete", "incomplete_expired"];

/**
 * A community's revenue at `now` (ms, UTC). Counts: subscribers by status now; new = rows whose
 * Stripe creation falls in this calendar month (UTC) and that got past checkout; churned = rows
 * that ended this month. History: for each of the last HISTORY_MONTHS months, the sum over rows
 * in `currency` that were paying at the month's end (created, not ended, trial over) of their
 * MRR — the stored `mrr` while a row still pays, else its price row normalised to a month
 * (an ended row's discount is not kept, so past months count list prices for it); this month's
 * point is the `mrr` figure's sum in that currency; the same sums per currency in
 * `historyByCurrency`. Throws nothing of its own.
 */
export async function readRevenue(env: Env, communityId: string, now = Date.now()): Promise<Revenue> {
  const db = getDb(env);
  const [settings] = await db.select({ currency: schema.billingSettings.currency }).from(schema.billingSettings).where(eq(schema.billingSettings.communityId, communityId));
  const currency = settings?.currency ?? "usd";
  const p = schema.prices;
  const rows = await db
    .select({
      tierKey: s.tierKey,
      currency: s.currency,
      status: s.status,
      mrr: s.mrr,
      trialEnd: s.trialEnd,
      endedAt: s.endedAt,
      createdAt: s.createdAt,
      priceAmount: p.amount,
      interval: s.interval,
    })
    .from(s)
    .leftJoin(p, eq(p.id, s.priceId))
    .where(eq(s.communityId, communityId));

  const mrr = new Map<string, { tier: TierKey; currency: string; amount: number }>();
  const subscribers = { active: 0, trialing: 0, pastDue: 0 };
  const thisMonth = monthStart(now);
  let newThisMonth = 0;
  let churnedThisMonth = 0;
  for (const row of rows) {
    if (row.status === "active") subscribers.active++;
    if (row.status === "trialing") subscribers.trialing++;
    if (row.status === "past_due") subscribers.pastDue++;
    if (row.status === "active" || row.status === "past_due") {
      const key = `${row.tierKey}\n${row.currency}`;
      const entry = mrr.get(key) ?? { tier: row.tierKey, currency: row.currency, amount: 0 };
      entry.amount += row.mrr;
      mrr.set(key, entry);
    }
    if (row.createdAt.getTime() >= thisMonth && !neverPaid.includes(row.status)) newThisMonth++;
    if (row.endedAt && row.endedAt.getTime() >= thisMonth) churnedThisMonth++;
  }

  const months: number[] = [];
  for (let back = HISTORY_MONTHS - 1; back >= 0; back--) months.push(back);
  // currency → MRR at each month's end, in that currency's minor units
  const totals = new Map<string, number[]>([[currency, months.map(() => 0)]]);
  months.forEach((back, i) => {
    const at = back === 0 ? now : monthStart(now, back - 1) - 1;
    for (const row of rows) {
      if (neverPaid.includes(row.status)) continue;
      if (row.createdAt.getTime() > at || (row.endedAt && row.endedAt.getTime() <= at)) continue;
      if (row.trialEnd && row.trialEnd.getTime() > at) continue;
      const listMonthly = row.priceAmount === null ? 0 : Math.round(row.priceAmount / (row.interval === "year" ? 12 : 1));
      const series = totals.get(row.currency) ?? months.map(() => 0);
      series[i] += row.mrr > 0 ? row.mrr : listMonthly;
      totals.set(row.currency, series);
    }
  });
  // this month's point is the MRR figure itself (what pays now, by status), so the chart's last
  // point and the headline never disagree — a subscription active before its stored trial end
  // (Stripe ended the trial early) counts in both
  const last = months.length - 1;
  for (const series of totals.values()) series[last] = 0;
  for (const entry of mrr.values()) {
    const series = totals.get(entry.currency) ?? months.map(() => 0);
    series[last] += entry.amount;
    totals.set(entry.currency, series);
  }
  const seriesOf = (code: string) => months.map((back, i) => ({ month: monthKey(monthStart(now, back)), mrr: totals.get(code)?.[i] ?? 0 }));
  const history = seriesOf(currency);
  const historyByCurrency = [...totals.keys()]
    .sort((a, b) => (a === currency ? -1 : b === currency ? 1 : a.localeCompare(b)))
    .map((code) => ({ currency: code, history: seriesOf(code) }));

  return {
    currency,
    mrr: [...mrr.values()].sort((a, b) => a.tier.localeCompare(b.tier) || a.currency.localeCompare(b.currency)),
    subscribers,
    newThisMonth,
    churnedThisMonth,
    upgradeRate: await upgradeRate(env, communityId, now),
    history,
    historyByCurrency,
  };
}

/**
 * The free-to-paid conversion rate over the trailing UPGRADE_WINDOW_DAYS (the SaaS "free-to-paid
 * conversion" of a freemium product, here per community; API field `upgradeRate`, ADR 037
 * addendum "Upgrade rate"): of the active members who could buy — not the owner or admins, who see
 * every tier already — and who were on the free tier at some point in the window, the share who
 * started a paid subscription (any status but incomplete/incomplete_expired) inside it. "Free at
 * some point in the window" is read from stored rows as: free now (paid tier and comp tier free),
 * or started a subscription inside the window (they were free before it, since a second live
 * subscription is refused); so a member who joined yesterday counts, and one paying since before
 * the window does not. A 0..1 fraction rounded to 4 decimals; null when nobody is in the base.
 * Source of the term: free users who converted in a period ÷ free users in that period
 * (https://www.vareto.com/glossary-terms/free-to-paid-conversion-rate).
 */
async function upgradeRate(env: Env, communityId: string, now: number): Promise<number | null> {
  const windowStart = now - UPGRADE_WINDOW_DAYS * DAY_MS;
  const m = schema.memberships;
  const started = sql`exists (select 1 from subscriptions s where s.community_id = ${m.communityId} and s.user_id = ${m.userId}
    and s.created_at >= ${windowStart} and s.status not in ('incomplete', 'incomplete_expired'))`;
  const [row] = await getDb(env)
    .select({ base: sql<number>`count(*)`, upgraded: sql<number>`coalesce(sum(case when ${started} then 1 else 0 end), 0)` })
    .from(m)
    .where(
      and(
        eq(m.communityId, communityId),
        eq(m.status, "active"),
        sql`${m.role} not in ('owner', 'admin')`,
        sql`((${m.paidTier} = 'free' and coalesce(${m.compTier}, 'free') = 'free') or ${started})`,
      ),
    );
  if (!row || row.base === 0) return null;
  return Math.round((row.upgraded / row.base) * 10_000) / 10_000;
}
