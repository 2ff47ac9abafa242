// What a community sells and how (ADR 037): billing settings, one Stripe Product per paid tier,
// one active Stripe Price per tier and interval. Publishing talks to Stripe first and writes D1
// only once Stripe has answered; the partial unique index on active prices referees two owners
// saving at once (the loser's batch fails whole and its new Stripe prices are archived again).
// After a save, lookup keys follow D1's active prices and open checkouts for a replaced or
// withdrawn price are expired (ADR 038 addendum).
import { and, asc, eq, inArray, isNotNull, isNull } from "drizzle-orm";
import type Stripe from "stripe";
import { getDb, schema } from "../db/client";
import type { TierKey } from "../db/schema";
import { isUniqueViolation } from "../db/unique-violation";
import type { MemberAccess } from "../domain/access";
import { auditInsert } from "../domain/audit";
import { runBatch, type Statement } from "../domain/communities/batch";
import { settleGraceOf } from "../domain/jobs/billing-grace";
import { badRequest, DomainError, notFound } from "../lib/errors";
import { newId } from "../lib/ids";
import { stripeFor, stripeMode, type StripeMode } from "./client";
import { amountProblem, currencyRule } from "./currency";
import { viaStripe } from "./errors";

export const paidTierKeys = ["member", "vip"] as const;
export type PaidTierKey = (typeof paidTierKeys)[number];
export const billingIntervals = ["month", "year"] as const;
export type BillingInterval = (typeof billingIntervals)[number];

/** An amount in API minor units (billing/currency.ts) with its lowercase ISO 4217 currency. */
export type Money = { amount: number; currency: string };
export type IntervalPrices = { month: Money | null; year: Money | null };

export type BillingSettingsView = {
  currency: string;
  allowPromotionCodes: boolean;
  graceDays: number;
  refundPolicy: (typeof schema.refundPolicies)[number];
  pricingPublished: boolean;
};

/** GET/PUT /communities/:slug/billing (ADR 037). */
export type BillingView = {
  configured: boolean;
  mode: StripeMode;
  settings: BillingSettingsView;
  /** `prices`: on sale (in Stripe); `drafts`: active prices Stripe does not have yet (PATCH …/tiers/:key, a new community's defaults) */
  tiers: Array<{ key: PaidTierKey; name: string; trialDays: number; prices: IntervalPrices; drafts: IntervalPrices }>;
};

/** What PUT /communities/:slug/billing may change; an amount `null` withdraws that price. */
export type BillingChanges = {
  currency?: string;
  allowPromotionCodes?: boolean;
  graceDays?: number;
  refundPolicy?: BillingSettingsView["refundPolicy"];
  tiers?: Array<{ key: PaidTierKey; trialDays?: number; month?: number | null; year?: number | null }>;
};

type PriceRow = typeof schema.prices.$inferSelect;
type TierRow = typeof schema.tiers.$inferSelect;
type SettingsRow = typeof schema.billingSettings.$inferSelect;

const DEFAULT_SETTINGS: BillingSettingsView = { currency: "usd", allowPromotionCodes: false, graceDays: 7, refundPolicy: "revoke", pricingPublished: false };

function settingsView(row: SettingsRow | undefined): BillingSettingsView {
  if (!row) return { ...DEFAULT_SETTINGS };
  const { currency, allowPromotionCodes, graceDays, refundPolicy, pricingPublished } = row;
  return { currency, allowPromotionCodes, graceDays, refundPolicy, pricingPublished };
}

/** A price is on sale once Stripe has it: an active row with a Stripe price id. */
const onSale = (p: PriceRow) => p.active && p.stripePriceId !== null;

function pricesOf(prices: PriceRow[], tier: string, which: (p: PriceRow) => boolean = onSale): IntervalPrices {
  const at = (interval: BillingInterval) => {
    const p = prices.find((x) => x.tierKey === tier && x.interval === interval && which(x));
    return p ? { amount: p.amount, currency: p.currency.toLowerCase() } : null;
  };
  return { month: at("month"), year: at("year") };
}

async function loadCatalog(env: Env, communityId: string) {
  const db = getDb(env);
  const [settings, tiers, prices] = await db.batch([
    db.select().from(schema.billingSettings).where(eq(schema.billingSettings.communityId, communityId)).limit(1),
    db.select().from(schema.tiers).where(eq(schema.tiers.communityId, communityId)).orderBy(asc(schema.tiers.rank)),
    db.select().from(schema.prices).where(and(eq(schema.prices.communityId, communityId), eq(schema.prices.active, true))),
  ]);
  return { settings: settings[0] as SettingsRow | undefined, tiers: tiers as TierRow[], prices: prices as PriceRow[] };
}

/** The community's billing as its owner and admins see it; works without Stripe (configured: false). */
export async function readBilling(env: Env, communityId: string): Promise<BillingView> {
  const { settings, tiers, prices } = await loadCatalog(env, communityId);
  const mode = stripeMode(env);
  return {
    configured: mode !== null,
    mode,
    settings: settingsView(settings),
    tiers: tiers
      .filter((t): t is TierRow & { key: PaidTierKey } => (paidTierKeys as readonly string[]).includes(t.key))
      .map((t) => ({ key: t.key, name: t.name, trialDays: t.trialDays, prices: pricesOf(prices, t.key), drafts: pricesOf(prices, t.key, (p) => p.active && p.stripePriceId === null) })),
  };
}

/** The public pricing page (API.md "Billing"): name, description, tiers and prices, never content. */
export type PricingPage = {
  community: { name: string; description: string; slug: string };
  currency: string;
  tiers: Array<{ key: TierKey; name: string; description: string; trialDays: number; prices: IntervalPrices }>;
};

/** The pricing page of `slug`, public or private; 404 not_found unless its owner published it. */
export async function readPricingPage(env: Env, slug: string): Promise<PricingPage> {
  const db = getDb(env);
  const [community] = await db
    .select({ id: schema.communities.id, name: schema.communities.name, description: schema.communities.description, slug: schema.communities.slug })
    .from(schema.communities)
    .innerJoin(schema.billingSettings, eq(schema.billingSettings.communityId, schema.communities.id))
    .where(and(eq(schema.communities.slug, slug), isNull(schema.communities.deletedAt), eq(schema.billingSettings.pricingPublished, true)))
    .limit(1);
  if (!community) throw notFound("No such pricing page.");
  const { settings, tiers, prices } = await loadCatalog(env, community.id);
  return {
    community: { name: community.name, description: community.description, slug: community.slug },
    currency: settingsView(settings).currency,
    tiers: tiers.map((t) => ({ key: t.key, name: t.name, description: t.description, trialDays: t.trialDays, prices: pricesOf(prices, t.key) })),
  };
}

/** Publishes or withdraws the pricing page (owner); the settings row is made with defaults if new. */
export async function setPricingPublished(env: Env, access: MemberAccess, published: boolean): Promise<{ published: boolean }> {
  const db = getDb(env);
  const now = new Date();
  await db.batch([
    db
      .insert(schema.billingSettings)
      .values({ communityId: access.community.id, pricingPublished: published, updatedAt: now })
      .onConflictDoUpdate({ target: schema.billingSettings.communityId, set: { pricingPublished: published, updatedAt: now } }),
    auditInsert(env, { communityId: access.community.id, actorId: access.membership.userId, action: "billing.pricing", data: { published } }),
  ]);
  return { published };
}

/** The price a member can buy for `tier` and `interval`: the active row Stripe has, or null. */
export async function priceOnSale(env: Env, communityId: string, tier: PaidTierKey, interval: BillingInterval): Promise<PriceRow | null> {
  const [row] = await getDb(env)
    .select()
    .from(schema.prices)
    .where(
      and(
        eq(schema.prices.communityId, communityId),
        eq(schema.prices.tierKey, tier),
        eq(schema.prices.interval, interval),
        eq(schema.prices.active, true),
        isNotNull(schema.prices.stripePriceId),
      ),
    )
    .limit(1);
  return row ?? null;
}

/** The settings a checkout needs (defaults when the owner never saved any). */
export async function billingSettingsOf(env: Env, communityId: string): Promise<BillingSettingsView> {
  const [row] = await getDb(env).select().from(schema.billingSettings).where(eq(schema.billingSettings.communityId, communityId)).limit(1);
  return settingsView(row);
}

/** One tier and interval whose price changes: `amount` null withdraws it; `stripePriceId` is the new Price once made. */
type Replacement = { tier: TierRow & { key: PaidTierKey }; interval: BillingInterval; old: PriceRow | null; amount: number | null; stripePriceId?: string };

/** Stripe's metadata on everything Enclave makes for a tier (webhooks and the portal find their way back by it). */
const tierMetadata = (communityId: string, tier: PaidTierKey) => ({ enclave_community: communityId, enclave_tier: tier });

/**
 * Saves the owner's billing settings and publishes the tiers' prices to Stripe (ADR 037):
 * a Product per paid tier (created once, name kept in step), a new recurring Price for each
 * changed amount, the replaced Price archived (`active: false`) — a live Price is never edited, so
 * subscribers keep theirs. D1 changes only after Stripe answered everything.
 * @throws 400 validation_failed with `issues` (amounts per currency rules, a currency change
 *   without the new amounts); 502 stripe_unavailable (nothing written, Stripe's new prices archived
 *   again); 409 billing_changed when another save won the race for the same tier and interval
 */
export async function publishBilling(env: Env, stripe: Stripe, access: MemberAccess, changes: BillingChanges): Promise<BillingView> {
  const communityId = access.community.id;
  const { settings, tiers, prices } = await loadCatalog(env, communityId);
  const current = settingsView(settings);
  const next: BillingSettingsView = {
    currency: (changes.currency ?? current.currency).toLowerCase(),
    allowPromotionCodes: changes.allowPromotionCodes ?? current.allowPromotionCodes,
    graceDays: changes.graceDays ?? current.graceDays,
    refundPolicy: changes.refundPolicy ?? current.refundPolicy,
    pricingPublished: current.pricingPublished,
  };
  if (!currencyRule(next.currency)) throw badRequest("Choose a supported currency.", { issues: [{ path: "currency", message: `${next.currency.toUpperCase()} is not supported`, code: "currency_unsupported" }] });

  const issues: Array<{ path: string; message: string; code: string }> = [];
  const replacements: Replacement[] = [];
  for (const tier of tiers) {
    if (!(paidTierKeys as readonly string[]).includes(tier.key)) continue;
    const paid = tier as TierRow & { key: PaidTierKey };
    const given = changes.tiers?.find((t) => t.key === paid.key);
    for (const interval of billingIntervals) {
      const old = prices.find((p) => p.tierKey === paid.key && p.interval === interval) ?? null;
      const wanted = given?.[interval];
      if (wanted === undefined) {
        // a row Stripe never had (the defaults a new community starts with) cannot be bought:
        // once prices are published, the catalog is what Stripe sells
        if (old && !onSale(old)) replacements.push({ tier: paid, interval, old, amount: null });
        // a price on sale in another currency cannot stay when the currency changes
        else if (old && old.currency.toLowerCase() !== next.currency) {
          issues.push({ path: `tiers.${paid.key}.${interval}`, message: `Give the ${interval}ly price in ${next.currency.toUpperCase()} (or null to withdraw it)`, code: "amount_required" });
        }
        continue;
      }
      if (wanted === null) {
        if (old) replacements.push({ tier: paid, interval, old, amount: null });
        continue;
      }
      const problem = amountProblem(wanted, next.currency);
      if (problem) {
        issues.push({ path: `tiers.${paid.key}.${interval}`, message: problem, code: "amount_invalid" });
        continue;
      }
      const unchanged = old && onSale(old) && old.amount === wanted && old.currency.toLowerCase() === next.currency;
      if (!unchanged) replacements.push({ tier: paid, interval, old, amount: wanted });
    }
  }
  if (issues.length > 0) throw badRequest("Some prices cannot be used.", { issues });

  // ---- Stripe first: products, new prices, then the replaced ones archived ----
  const productOf = new Map<PaidTierKey, { id: string; created: boolean }>();
  const created: string[] = [];
  const archived: string[] = [];
  try {
    // every existing Product takes its tier's current name (a rename through PATCH /tiers included)
    for (const tier of tiers) {
      const id = tier.stripeProductId;
      if (!id || !(paidTierKeys as readonly string[]).includes(tier.key)) continue;
      await viaStripe(() => stripe.products.update(id, { name: tier.name, active: true }));
      productOf.set(tier.key as PaidTierKey, { id, created: false });
    }
    for (const r of replacements) {
      if (r.amount === null || productOf.has(r.tier.key)) continue;
      // two first publishes at once: the same key gives both the same Product
      const product = await viaStripe(() =>
        stripe.products.create(
          { name: r.tier.name, metadata: tierMetadata(communityId, r.tier.key) },
          { idempotencyKey: `enclave-product:${communityId}:${r.tier.key}:${r.tier.name}` },
        ),
      );
      productOf.set(r.tier.key, { id: product.id, created: true });
    }
    for (const r of replacements) {
      if (r.amount === null) continue;
      const amount = r.amount;
      const price = await viaStripe(() =>
        stripe.prices.create({
          product: productOf.get(r.tier.key)!.id,
          unit_amount: amount,
          currency: next.currency,
          recurring: { interval: r.interval },
          lookup_key: lookupKeyOf(communityId, r.tier.key, r.interval),
          transfer_lookup_key: true,
          nickname: `${r.tier.name} (${r.interval})`,
          metadata: { ...tierMetadata(communityId, r.tier.key), enclave_interval: r.interval },
        }),
      );
      created.push(price.id);
      r.stripePriceId = price.id;
    }
    for (const r of replacements) {
      const oldId = r.old?.stripePriceId;
      if (!oldId) continue;
      await viaStripe(() => stripe.prices.update(oldId, { active: false }));
      archived.push(oldId);
    }
  } catch (err) {
    await undoStripe(env, stripe, created, archived);
    throw err;
  }

  // ---- then D1, in one batch ----
  const db = getDb(env);
  const now = new Date();
  const statements: Statement[] = [];
  for (const r of replacements) {
    if (r.old) {
      statements.push(
        db
          .update(schema.prices)
          .set({ active: false, archivedAt: now })
          .where(and(eq(schema.prices.id, r.old.id), eq(schema.prices.active, true))),
      );
    }
  }
  for (const r of replacements) {
    const stripePriceId = r.stripePriceId;
    if (r.amount === null || !stripePriceId) continue;
    statements.push(
      db.insert(schema.prices).values({
        id: newId("prc"),
        communityId,
        tierKey: r.tier.key,
        interval: r.interval,
        amount: r.amount,
        currency: next.currency,
        stripePriceId,
        active: true,
        createdAt: now,
      }),
    );
  }
  for (const [key, product] of productOf) {
    if (product.created) {
      statements.push(
        db
          .update(schema.tiers)
          .set({ stripeProductId: product.id })
          .where(and(eq(schema.tiers.communityId, communityId), eq(schema.tiers.key, key), isNull(schema.tiers.stripeProductId))),
      );
    }
  }
  for (const t of changes.tiers ?? []) {
    if (t.trialDays !== undefined) {
      statements.push(db.update(schema.tiers).set({ trialDays: t.trialDays }).where(and(eq(schema.tiers.communityId, communityId), eq(schema.tiers.key, t.key))));
    }
  }
  const { pricingPublished: _published, ...saved } = next;
  statements.push(
    db
      .insert(schema.billingSettings)
      .values({ communityId, ...saved, updatedAt: now })
      .onConflictDoUpdate({ target: schema.billingSettings.communityId, set: { ...saved, updatedAt: now } }),
    auditInsert(env, {
      communityId,
      actorId: access.membership.userId,
      action: "billing.update",
      data: { ...changes, replaced: replacements.map((r) => ({ tier: r.tier.key, interval: r.interval, amount: r.amount })) },
    }),
  );
  const slots = replacements.map((r) => ({ tier: r.tier.key, interval: r.interval }));
  try {
    await runBatch(db, statements);
  } catch (err) {
    await undoStripe(env, stripe, created, archived);
    await settleLookupKeys(env, stripe, communityId, slots);
    if (isUniqueViolation(err)) {
      throw new DomainError(409, "billing_changed", "Prices were changed by someone else at the same moment. Reload and try again.");
    }
    throw err;
  }
  await settleLookupKeys(env, stripe, communityId, slots);
  // past-due members' tiers follow the new grace now, up or down (not only down at the next cron tick)
  if (next.graceDays !== current.graceDays) await settleGraceOf(env, communityId);
  await expireCheckoutsFor(stripe, communityId, replacements.flatMap((r) => (r.old?.stripePriceId ? [r.old.stripePriceId] : [])));
  return readBilling(env, communityId);
}

/** The lookup key of a tier and interval's Price in Stripe: `enclave:<community id>:<tier>:<interval>`. */
export const lookupKeyOf = (communityId: string, tier: PaidTierKey, interval: BillingInterval) => `enclave:${communityId}:${tier}:${interval}`;

/**
 * After a save, won or lost: each touched tier and interval's lookup key is moved
 * (`transfer_lookup_key`) onto the Price that D1 holds active for it, so two owners saving at
 * once cannot leave the key on the loser's archived Price. Every save ends with this, and the
 * loser's runs after the winner's rows committed (its batch failed on them), so the last word is
 * D1's (the active row is read again after the move, and the move repeated if it changed). A withdrawn price (no active row) keeps its key on the archived Price. Best
 * effort: a failure is logged (the key is a label for people and tools reading the Stripe account;
 * nothing in Enclave reads it) and the next save puts it right.
 */
async function settleLookupKeys(env: Env, stripe: Stripe, communityId: string, slots: Array<{ tier: PaidTierKey; interval: BillingInterval }>) {
  for (const { tier, interval } of slots) {
    try {
      let active = (await priceOnSale(env, communityId, tier, interval))?.stripePriceId;
      // a third save that committed while this one moved the key gets it back here (or by its own last step)
      for (let tries = 0; active && tries < 3; tries++) {
        await stripe.prices.update(active, { lookup_key: lookupKeyOf(communityId, tier, interval), transfer_lookup_key: true });
        const now = (await priceOnSale(env, communityId, tier, interval))?.stripePriceId;
        active = now !== active ? now : undefined;
      }
    } catch (err) {
      console.warn("lookup key not moved", { tier, interval, message: err instanceof Error ? err.message : String(err) });
    }
  }
}

/**
 * Expires the open Checkout Sessions of `communityId` that sell one of `replaced` (Stripe Price
 * ids just archived or withdrawn), so an open checkout cannot sell a price the owner took off
 * sale (Stripe: `checkout.sessions.list` status open with `line_items` expanded, then
 * `checkout.sessions.expire`). A session paid meanwhile is honoured: it is not open any more, its
 * webhook settles it at the price paid (ADR 038 addendum). Best effort after the save landed:
 * a failure is logged, and a session left open expires by itself within 24 hours (Stripe's default).
 */
async function expireCheckoutsFor(stripe: Stripe, communityId: string, replaced: string[]) {
  if (replaced.length === 0) return;
  const old = new Set(replaced);
  try {
    const stale: string[] = [];
    for await (const session of stripe.checkout.sessions.list({ status: "open", limit: 100, expand: ["data.line_items"] })) {
      if (session.metadata?.enclave_community !== communityId) continue;
      const prices = (session.line_items?.data ?? []).map((item) => item.price?.id);
      if (prices.some((id) => id && old.has(id))) stale.push(session.id);
    }
    for (const id of stale) {
      await stripe.checkout.sessions.expire(id).catch((error: unknown) => {
        // paid or expired meanwhile: nothing left to close
        if ((error as { code?: string }).code !== "checkout_session_not_open") throw error;
      });
    }
  } catch (err) {
    console.warn("open checkouts not expired", { communityId, message: err instanceof Error ? err.message : String(err) });
  }
}

/**
 * A price change made outside publishBilling (PATCH …/tiers/:key and the settings form's tier
 * route, which write D1 only): `save` archives the D1 rows of `replaced` (their Stripe Price ids),
 * and Stripe must stop selling them too, or an open checkout (or a lookup by key) still sells the
 * old amount. So, when payments are configured: the Prices are archived at Stripe first (any
 * failure: 502 stripe_unavailable, nothing saved, the ones archived put back), then `save` runs
 * (if it throws, they are made active again), then open checkouts selling them are expired. The
 * new rows have no Stripe Price until the owner publishes (ADR 037). Without a Stripe key nothing
 * can be bought anyway: `save` runs alone. Answers what `save` answers.
 */
export async function withStripePricesArchived<T>(env: Env, communityId: string, replaced: string[], save: () => Promise<T>): Promise<T> {
  const stripe = replaced.length > 0 ? stripeFor(env) : null;
  if (!stripe) return save();
  const archived: string[] = [];
  let saved: T;
  try {
    for (const id of replaced) {
      // a Price Stripe does not have (a row written by hand, another account's) sells nothing already
      const gone = await viaStripe(() =>
        stripe.prices.update(id, { active: false }).then(
          () => false,
          (error: unknown) => ((error as { statusCode?: number; code?: string }).code === "resource_missing" ? true : Promise.reject(error)),
        ),
      );
      if (!gone) archived.push(id);
    }
    saved = await save();
  } catch (err) {
    await undoStripe(env, stripe, [], archived);
    throw err;
  }
  await expireCheckoutsFor(stripe, communityId, replaced);
  return saved;
}

/**
 * Puts Stripe back after a save that did not land: the new prices archived, and the old ones made
 * active again where their row is still the active one (a winner of a race archived its own).
 * Best effort: a failure here is logged; an orphaned inactive or unused price sells nothing.
 */
async function undoStripe(env: Env, stripe: Stripe, created: string[], archived: string[]) {
  const stillActive = archived.length
    ? new Set(
        (
          await getDb(env)
            .select({ id: schema.prices.stripePriceId })
            .from(schema.prices)
            .where(and(eq(schema.prices.active, true), inArray(schema.prices.stripePriceId, archived)))
        ).map((r) => r.id),
      )
    : new Set<string | null>();
  const undo = [
    ...created.map((id) => () => stripe.prices.update(id, { active: false })),
    ...archived.filter((id) => stillActive.has(id)).map((id) => () => stripe.prices.update(id, { active: true })),
  ];
  for (const step of undo) {
    try {
      await step();
    } catch (err) {
      console.warn("stripe undo failed", { message: err instanceof Error ? err.message : String(err) });
    }
  }
}
