// Tiers and their prices. Prices are upserted per interval; a changed amount or currency drops
// the Stripe price id because Stripe prices are immutable and checkout must create a new one.
import { and, asc, eq, isNotNull, sql } from "drizzle-orm";
import { billingSettingsOf, withStripePricesArchived } from "../../billing/catalog";
import { amountProblem } from "../../billing/currency";
import { getDb, schema } from "../../db/client";
import { tierKeys, type TierKey } from "../../db/schema";
import { badRequest, notFound } from "../../lib/errors";
import { newId } from "../../lib/ids";
import { rowWhere } from "../../db/insert-select";
import { auditInsert } from "../audit";
import { runBatch, type Statement } from "./batch";
import type { ActiveAccess } from "./types";
import { hasRole, type CommunityAccess } from "../access";

/**
 * A tier's active price for one interval: `amount` in the currency's minor units (billing/currency.ts),
 * `currency` ISO 4217 upper-case, `published` whether a Stripe Price sells it (a price set through
 * PATCH …/tiers/:key is not sold until the owner publishes prices from Billing, PUT …/billing).
 */
export type PriceView = { interval: "month" | "year"; amount: number; currency: string; published: boolean };
/** A price as the owner gives it to PATCH …/tiers/:key (currency in any case). */
export type PriceChange = Omit<PriceView, "published">;
/** `key` as one of the tier keys (free, supporter, vip); throws 404 not_found for any other, as for an unknown route. */
export function requireTierKey(key: string): TierKey {
  if (!(tierKeys as readonly string[]).includes(key)) throw notFound("No such tier.");
  return key as TierKey;
}

export type TierView = { key: TierKey; rank: number; name: string; description: string; prices: PriceView[]; trialDays: number };

export type TierChanges = {
  name?: string;
  description?: string;
  trialDays?: number;
  prices?: PriceChange[];
};

/** The tiers as the reader of `access` may see them (GET …/tiers, the community pages): drafts for the owner and admins only. */
export const tiersSeenBy = (env: Env, access: CommunityAccess) => listTiers(env, access.community.id, { drafts: hasRole(access.role, "admin") });

/**
 * The community's tiers by rank with their active prices. `drafts`: include prices not on sale yet
 * (no Stripe Price: set through PATCH …/tiers/:key or a new community's defaults) — for the owner
 * and admins, who set them; everyone else reads only what can be bought.
 */
export async function listTiers(env: Env, communityId: string, opts: { drafts: boolean } = { drafts: true }): Promise<TierView[]> {
  const db = getDb(env);
  const [tiers, prices] = await Promise.all([
    db.select().from(schema.tiers).where(eq(schema.tiers.communityId, communityId)).orderBy(asc(schema.tiers.rank)),
    db
      .select()
      .from(schema.prices)
      .where(and(eq(schema.prices.communityId, communityId), eq(schema.prices.active, true)))
      .orderBy(asc(schema.prices.interval)),
  ]);
  return tiers.map((t) => ({
    key: t.key,
    rank: t.rank,
    name: t.name,
    description: t.description,
    trialDays: t.trialDays,
    prices: prices
      .filter((p) => p.tierKey === t.key && (opts.drafts || p.stripePriceId !== null))
      .map((p) => ({ interval: p.interval, amount: p.amount, currency: p.currency.toUpperCase(), published: p.stripePriceId !== null })),
  }));
}

/**
 * The owner's edit of a tier: name, description, trial days, and prices upserted per interval (a
 * changed amount or currency archives the active row and adds a new one without a Stripe Price;
 * the archived row's Stripe Price is archived at Stripe too, and open checkouts selling it are
 * expired: billing/catalog.ts withStripePricesArchived). Answers the tier as it now stands.
 * Prices are in the community's billing currency (billing_settings, USD until the owner picks
 * one) and follow its Stripe rules (billing/currency.ts amountProblem); stored lower-case as
 * billing stores them.
 * @throws 404 not_found for an unknown tier; 400 validation_failed for prices on the free tier,
 *   in another currency (`currency_mismatch`) or an amount the currency cannot charge (`amount_invalid`);
 *   502 stripe_unavailable when Stripe could not archive a replaced Price (nothing saved)
 */
export async function updateTier(env: Env, access: ActiveAccess, key: TierKey, changes: TierChanges): Promise<TierView> {
  const db = getDb(env);
  const communityId = access.community.id;
  const [tier] = await db
    .select()
    .from(schema.tiers)
    .where(and(eq(schema.tiers.communityId, communityId), eq(schema.tiers.key, key)))
    .limit(1);
  if (!tier) throw notFound("No such tier.");
  if (key === "free" && changes.prices && changes.prices.length > 0) {
    throw badRequest("The free tier has no prices.", { issues: [{ path: "prices", message: "The free tier has no prices", code: "free_tier_unpriced" }] });
  }
  const prices = await checkedPrices(env, communityId, changes.prices ?? []);

  const statements: Statement[] = [];
  const set: { name?: string; description?: string; trialDays?: number } = {};
  if (changes.name !== undefined) set.name = changes.name;
  if (changes.description !== undefined) set.description = changes.description;
  if (changes.trialDays !== undefined) set.trialDays = changes.trialDays;
  if (Object.keys(set).length > 0) {
    statements.push(
      db.update(schema.tiers).set(set).where(and(eq(schema.tiers.communityId, communityId), eq(schema.tiers.key, key))),
    );
  }
  // a changed price is a new row and the old one archived (ADR 037: one active row per tier and
  // interval, kept for its subscribers); the new row has no Stripe price until the owner publishes
  const now = new Date();
  /** whether an active row for this interval is replaced by `price` (currency codes in any case) */
  const differs = (price: { amount: number; currency: string }) =>
    sql`(${schema.prices.amount} <> ${price.amount} or lower(${schema.prices.currency}) <> lower(${price.currency}))`;
  const replaced: string[] = [];
  for (const price of prices) {
    const sameSlot = and(eq(schema.prices.communityId, communityId), eq(schema.prices.tierKey, key), eq(schema.prices.interval, price.interval), eq(schema.prices.active, true));
    // the Stripe Price this replaces, archived at Stripe with the row (withStripePricesArchived)
    const [sold] = await db.select({ id: schema.prices.stripePriceId }).from(schema.prices).where(and(sameSlot, isNotNull(schema.prices.stripePriceId), differs(price))).limit(1);
    if (sold?.id) replaced.push(sold.id);
    statements.push(
      db
        .update(schema.prices)
        .set({ active: false, archivedAt: now })
        .where(and(sameSlot, differs(price))),
      db.insert(schema.prices).select(
        rowWhere(
          schema.prices,
          { id: newId("prc"), communityId, tierKey: key, interval: price.interval, amount: price.amount, currency: price.currency, createdAt: now },
          sql`not exists (select 1 from ${schema.prices} where ${sameSlot})`,
        ),
      ),
    );
  }
  if (statements.length > 0) {
    statements.push(
      auditInsert(env, {
        communityId,
        actorId: access.membership.userId,
        action: "tier.update",
        targetType: "tier",
        targetId: key,
        data: { ...set, ...(changes.prices ? { prices: changes.prices } : {}) },
      }),
    );
    await withStripePricesArchived(env, communityId, replaced, () => runBatch(db, statements));
  }
  const all = await listTiers(env, communityId);
  const updated = all.find((t) => t.key === key);
  if (!updated) throw notFound("No such tier.");
  return updated;
}

/**
 * `prices` with currency codes lower-case, once each is in the community's billing currency and an
 * amount that currency can charge. @throws 400 validation_failed with `issues` per price.
 */
async function checkedPrices(env: Env, communityId: string, prices: PriceChange[]): Promise<PriceChange[]> {
  if (prices.length === 0) return [];
  const { currency } = await billingSettingsOf(env, communityId);
  const issues: Array<{ path: string; message: string; code: string }> = [];
  prices.forEach((price, i) => {
    if (price.currency.toLowerCase() !== currency) {
      issues.push({
        path: `prices.${i}.currency`,
        message: `Prices are in the community's currency, ${currency.toUpperCase()}; change the currency under Billing`,
        code: "currency_mismatch",
      });
      return;
    }
    const problem = amountProblem(price.amount, currency);
    if (problem) issues.push({ path: `prices.${i}.amount`, message: problem, code: "amount_invalid" });
  });
  if (issues.length > 0) throw badRequest("Some prices cannot be used.", { issues });
  return prices.map((p) => ({ ...p, currency: p.currency.toLowerCase() }));
}
