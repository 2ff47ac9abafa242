// A user's billing accounts across communities (issue 14, second tester's finding): the Stripe
// Customers they pay through (ADR 041: one per user and community) and the plan each holds, read
// from their account rather than from a community — so someone who left, was removed or banned
// still finds their receipts, card and the plan that runs to its period's end, and can open the
// customer portal for it. What a community's member sees on its plan page is reads.ts.
import { and, desc, eq, inArray, isNull, sql } from "drizzle-orm";
import { getDb, schema } from "../db/client";
import type { TierKey } from "../lib/vocabulary";
import { z } from "zod";
import { decodeCursor, encodeCursor } from "../lib/cursor";
import { rowEnded, tierRankSql } from "./settle";

/**
 * One community the user has a billing account in (GET /me/billing). `member`: whether they are
 * an active member there now. `plan`: the subscription that counts most there (a live one before
 * an ended one, the higher tier, the newest; as /billing/me picks), from stored rows (ISO
 * instants, UTC). No amount: an ended plan charges nothing, and a live one's price after
 * discounts is on the portal and the plan page.
 */
export type BillingAccount = {
  community: { id: string; slug: string; name: string };
  member: boolean;
  plan: {
    tier: TierKey;
    /** the community's name for the tier (its tiers row), null if it has none */
    tierName: string | null;
    status: string;
    currentPeriodEnd: string | null;
    cancelAtPeriodEnd: boolean;
    trialEnd: string | null;
  };
};

const iso = (d: Date | null) => (d ? d.toISOString() : null);

// the cursor of this list: the last item's [community name, community id] (its order)
const AccountKey = z.tuple([z.string(), z.string()]);

/**
 * One page of listAllBillingAccounts: `limit` items after `cursor` (opaque; the last item's name
 * and id), with `nextCursor` null on the last page. The list is a person's own accounts — one per
 * community they paid in — so it is read whole and cut here. @throws 400 invalid_cursor
 */
export async function listBillingAccounts(env: Env, userId: string, page: { limit: number; cursor?: string | null }): Promise<{ items: BillingAccount[]; nextCursor: string | null }> {
  const after = decodeCursor(page.cursor, AccountKey);
  const all = (await listAllBillingAccounts(env, userId)).filter(
    (a) => !after || a.community.name > after[0] || (a.community.name === after[0] && a.community.id > after[1]),
  );
  const items = all.slice(0, page.limit);
  const last = items.at(-1);
  return { items, nextCursor: all.length > page.limit && last ? encodeCursor([last.community.name, last.community.id]) : null };
}

/**
 * Every community (not deleted) where `userId` has a Stripe Customer that held a subscription, by
 * community name then id, with whether they are a member there and the plan that counts most (a
 * checkout never paid leaves nothing to list). Three D1 reads, in one batch.
 * Throws nothing of its own.
 */
async function listAllBillingAccounts(env: Env, userId: string): Promise<BillingAccount[]> {
  const db = getDb(env);
  const bc = schema.billingCustomers;
  const cm = schema.communities;
  const m = schema.memberships;
  const s = schema.subscriptions;
  const t = schema.tiers;
  const theirs = db.select({ id: bc.communityId }).from(bc).where(eq(bc.userId, userId));
  const [accounts, plans, names] = await db.batch([
    db
      .selectDistinct({ id: cm.id, slug: cm.slug, name: cm.name, status: m.status })
      .from(bc)
      .innerJoin(cm, and(eq(cm.id, bc.communityId), isNull(cm.deletedAt)))
      .leftJoin(m, and(eq(m.communityId, cm.id), eq(m.userId, userId)))
      .where(eq(bc.userId, userId)),
    db
      .select()
      .from(s)
      .where(and(eq(s.userId, userId), inArray(s.communityId, theirs)))
      .orderBy(sql`case when ${rowEnded} then 1 else 0 end`, desc(tierRankSql(sql`${s.tierKey}`)), desc(s.createdAt)),
    db.select({ communityId: t.communityId, key: t.key, name: t.name }).from(t).where(inArray(t.communityId, theirs)),
  ]);
  return accounts.flatMap((a) => {
      // the first row per community is the one that counts most (the order above); a checkout
      // never paid leaves a Customer with nothing to show, and is not listed
      const sub = plans.find((p) => p.communityId === a.id);
      if (!sub) return [];
      const tierName = names.find((n) => n.communityId === a.id && n.key === sub.tierKey)?.name ?? null;
      return [
        {
          community: { id: a.id, slug: a.slug, name: a.name },
          member: a.status === "active",
          plan: { tier: sub.tierKey, tierName, status: sub.status, currentPeriodEnd: iso(sub.currentPeriodEnd), cancelAtPeriodEnd: sub.cancelAtPeriodEnd, trialEnd: iso(sub.trialEnd) },
        },
      ];
    })
    // the cursor compares as JavaScript does: sorted the same way here, not by SQLite's collation
    .sort((x, y) => (x.community.name < y.community.name ? -1 : x.community.name > y.community.name ? 1 : x.community.id < y.community.id ? -1 : 1));
}
