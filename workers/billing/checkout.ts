// A member buying a tier (Stripe Checkout) and managing what they bought (the customer portal),
// ADR 037. Entitlements never change here: only verified webhooks do (payhooks' settle code).
import { and, eq, inArray, isNotNull } from "drizzle-orm";
import type Stripe from "stripe";
import { getDb, schema } from "../db/client";
import { liveSubscriptionStatuses } from "../db/schema";
import { effectiveTier, hasRole, hasTier, loadCommunityAccess, visibleCommunity, type Community, type CommunityAccess, type MemberAccess, type Membership } from "../domain/access";
import type { Reader } from "../domain/auth/reader";
import type { SessionUser } from "../domain/auth/reader";
import { limitCheckout } from "../domain/rate-limits";
import { badRequest, DomainError, notFound } from "../lib/errors";
import { billingSettingsOf, paidTierKeys, priceOnSale, type BillingInterval, type PaidTierKey } from "./catalog";
import { requireStripe, viaStripe } from "./errors";
import { stripeMode } from "./client";
import type { CheckoutRefusal } from "../domain/schemas/billing";
import { tierKeys } from "../lib/vocabulary";

/** The highest tier (lib/vocabulary tierKeys is ordered low to high). */
const topTier = tierKeys[tierKeys.length - 1];

/** Checkout's page language from the member's locale (Stripe's `locale` list has zh-TW, not zh-Hant). */
function checkoutLocale(locale: string): Stripe.Checkout.SessionCreateParams.Locale {
  if (/^zh-(hant|tw|hk)/i.test(locale)) return "zh-TW";
  if (/^en/i.test(locale)) return "en";
  return "auto";
}

/** The user's Stripe Customer (`cus_…`) for paying in `communityId` (ADR 041), or undefined before their first checkout there. */
export async function customerOf(env: Env, userId: string, communityId: string): Promise<string | undefined> {
  const bc = schema.billingCustomers;
  const [row] = await getDb(env)
    .select({ id: bc.stripeCustomerId })
    .from(bc)
    .where(and(eq(bc.userId, userId), eq(bc.communityId, communityId)))
    .limit(1);
  return row?.id;
}

/**
 * The member's Stripe Customer for `community`: one per user and community (ADR 041), since
 * Stripe refuses a second currency on one Customer and a portal session shows every subscription
 * of its Customer. Made on first checkout there: email and name prefilled, the community's name as
 * `description`, metadata `enclave_user`, `enclave_community` (id) and `enclave_community_name`.
 * Two first checkouts at once send the same Idempotency-Key (`enclave-customer:<user>:<community>`),
 * so Stripe makes one Customer and both rows name it (the insert ignores the second).
 * @throws 502 stripe_unavailable
 */
export async function ensureCustomer(env: Env, stripe: Stripe, user: SessionUser, community: Pick<Community, "id" | "name">): Promise<string> {
  const known = await customerOf(env, user.id, community.id);
  if (known) return known;
  // Stripe's limits: description 350 characters, metadata values 500
  const name = community.name.slice(0, 350);
  const customer = await viaStripe(() =>
    stripe.customers.create(
      {
        email: user.email,
        name: user.name,
        description: name,
        metadata: { enclave_user: user.id, enclave_community: community.id, enclave_community_name: name },
        preferred_locales: [user.locale],
      },
      { idempotencyKey: `enclave-customer:${user.id}:${community.id}` },
    ),
  );
  await getDb(env).insert(schema.billingCustomers).values({ userId: user.id, communityId: community.id, stripeCustomerId: customer.id }).onConflictDoNothing();
  return (await customerOf(env, user.id, community.id)) ?? customer.id;
}

/** Whether `userId` is banned from `communityId` (a bans row). */
async function isBanned(env: Env, communityId: string, userId: string): Promise<boolean> {
  const b = schema.bans;
  const [row] = await getDb(env).select({ userId: b.userId }).from(b).where(and(eq(b.communityId, communityId), eq(b.userId, userId))).limit(1);
  return Boolean(row);
}

/** Who may buy in a community: an active member, or someone not (yet) in it where the owner published pricing. */
export type Buyer = Pick<CommunityAccess, "community" | "membership">;

/**
 * The caller as a buyer in `slug`: an active member; or — buying is joining (ADR 037 addendum) —
 * a signed-in person who is not a member where the owner published the pricing page (also of a
 * private community: the page is its invitation to buy) and who is not banned there. 404 for
 * anyone else, as the community's other routes answer.
 */
export async function openBuyer(env: Env, slug: string, reader: Reader): Promise<Buyer> {
  const found = await loadCommunityAccess(env, slug, reader);
  if (found?.membership) return found;
  const user = await reader.user();
  if (found && user) {
    const [settings, banned] = await Promise.all([billingSettingsOf(env, found.community.id), isBanned(env, found.community.id, user.id)]);
    if (settings.pricingPublished && !banned) return { community: found.community, membership: null };
  }
  // as the community answers a stranger: a private one does not exist for them
  visibleCommunity(found);
  throw notFound("No such community.");
}

/** Session metadata: when our request created it (ms since the epoch, UTC), to order checkouts within one of Stripe's seconds. */
const STARTED_AT = "enclave_started_at";

type Ordered = Pick<Stripe.Checkout.Session, "id" | "created" | "metadata">;

/**
 * Whether checkout `a` came before `b` (ADR 041): Stripe's `created` (unix s); within one second
 * the time our request made it (metadata `enclave_started_at`, ms; absent counts as 0), so two
 * clicks one after the other keep their order; then the smaller id. A strict total order, so of
 * any set of checkouts exactly one is the newest.
 */
export function checkoutBefore(a: Ordered, b: Ordered): boolean {
  if (a.created !== b.created) return a.created < b.created;
  const [am, bm] = [Number(a.metadata?.[STARTED_AT]) || 0, Number(b.metadata?.[STARTED_AT]) || 0];
  if (am !== bm) return am < bm;
  return a.id < b.id;
}

/**
 * Two tabs, two checkouts: only the newest stays payable, so one person cannot pay twice for the
 * same community (Stripe's advice: expire the open sessions a new one replaces). The customer's
 * open sessions for the member and `communityId` that came before `mine` (checkoutBefore) are
 * expired, never a newer one: of checkouts started at the same moment each expires only those
 * before it, so the newest always survives (ADR 041). Two still open and both paid are the
 * webhook's duplicate guard's (ADR 040). A session paid meanwhile is not open and is caught by the
 * live-subscription refusal instead. Stripe failures → 502 (the new session is not handed out, so
 * nothing is left payable twice).
 */
async function expireOlderCheckouts(stripe: Stripe, customer: string, member: { communityId: string; userId: string }, mine: Ordered): Promise<void> {
  const open = await viaStripe(() => stripe.checkout.sessions.list({ customer, status: "open", limit: 100 }));
  const others = open.data.filter(
    (s) =>
      s.id !== mine.id &&
      s.metadata?.enclave_community === member.communityId &&
      s.metadata?.enclave_user === member.userId &&
      checkoutBefore(s, mine),
  );
  // one expired meanwhile (another tab's checkout got to it first) is as good as expired by us
  const expire = (id: string) =>
    stripe.checkout.sessions.expire(id).catch((error: unknown) => {
      if ((error as { code?: string }).code !== "checkout_session_not_open") throw error;
    });
  await Promise.all(others.map((s) => viaStripe(() => expire(s.id))));
}

/** Admins and the owner pass every tier (domain/discussions/access.ts): nothing is for sale to them. The pages ask the same. */
export const roleGrantsEveryTier = (membership: { role: Membership["role"] | null } | null) => Boolean(membership?.role && hasRole(membership.role, "admin"));

/** The user's live subscription in a community (liveSubscriptionStatuses), or undefined. */
async function liveSubscriptionOf(env: Env, communityId: string, userId: string) {
  const s = schema.subscriptions;
  const [live] = await getDb(env)
    .select({ id: s.id, tier: s.tierKey })
    .from(s)
    .where(and(eq(s.communityId, communityId), eq(s.userId, userId), inArray(s.status, [...liveSubscriptionStatuses])))
    .limit(1);
  return live;
}

/**
 * The CheckoutRefusal for `userId` (null: signed out) with their active `membership` (or null) in
 * `communityId`, or null when checkout would take them (a tier they already hold is still refused
 * per tier: compare with `/billing/me`'s `tier`). In this order: `role_grants_every_tier`;
 * `banned` (not an active member and banned there: checkout answers them 404, as openBuyer);
 * `manage_in_portal`. Two D1 reads at most, at once.
 */
export async function checkoutRefusalOf(env: Env, communityId: string, membership: Membership | null, userId: string | null): Promise<CheckoutRefusal | null> {
  if (roleGrantsEveryTier(membership)) return "role_grants_every_tier";
  if (!userId) return null;
  const [banned, live] = await Promise.all([membership ? false : isBanned(env, communityId, userId), liveSubscriptionOf(env, communityId, userId)]);
  if (banned) return "banned";
  if (live) return "manage_in_portal";
  return null;
}

/**
 * Whether checkout would still give `userId` the tier's free trial in `communityId`: only someone
 * who never had a subscription there — any status, any tier, stored rows (ADR 041; Stripe applies
 * whatever `trial_period_days` a checkout asks for and leaves eligibility to us:
 * https://docs.stripe.com/billing/subscriptions/trials). True for a
 * signed-out caller (null): a new account has had none. Rows of an erased account no longer name
 * the user. One D1 read.
 */
export async function trialEligibleOf(env: Env, communityId: string, userId: string | null): Promise<boolean> {
  if (!userId) return true;
  const s = schema.subscriptions;
  const [had] = await getDb(env)
    .select({ id: s.id })
    .from(s)
    .where(and(eq(s.communityId, communityId), eq(s.userId, userId)))
    .limit(1);
  return !had;
}

/** Why checkout would refuse a caller whatever the tier, and whether it would give them a trial. */
export type BuyerStanding = { checkoutRefusal: CheckoutRefusal | null; trialEligible: boolean };

/**
 * What GET …/pricing and the pricing page tell `userId` (null: signed out) with their active
 * `membership` (or null) in `communityId`: `checkoutRefusal` (checkoutRefusalOf) and
 * `trialEligible` — true only when checkout would start a trial now: payments configured (a
 * Stripe key, stripeMode), no refusal (the owner and admins, a ban, a live plan: none of them
 * can start one, so no page offers it), and no subscription here before (trialEligibleOf).
 * Three D1 reads at most, at once.
 */
export async function buyerStandingOf(env: Env, communityId: string, membership: Membership | null, userId: string | null): Promise<BuyerStanding> {
  const [checkoutRefusal, hadNone] = await Promise.all([checkoutRefusalOf(env, communityId, membership, userId), trialEligibleOf(env, communityId, userId)]);
  return { checkoutRefusal, trialEligible: trialOffered(env, hadNone, checkoutRefusal) };
}

/**
 * The rule `trialEligible` answers by (ADR 042): a trial is offered only where checkout would
 * start one — payments configured (stripeMode), no `refusal`, and no subscription here before
 * (`hadNone`, trialEligibleOf's question).
 */
export const trialOffered = (env: Env, hadNone: boolean, refusal: CheckoutRefusal | null): boolean => hadNone && refusal === null && stripeMode(env) !== null;

/**
 * buyerStandingOf for the reader of `slug` (signed in or not), with their place there: what
 * GET …/pricing and the pricing page answer from. `access` is null for a community that does not
 * exist (the pricing page's own read answers that 404). Throws nothing of its own.
 */
export async function buyerStandingIn(env: Env, slug: string, reader: Reader): Promise<BuyerStanding & { access: CommunityAccess | null }> {
  const [access, user] = await Promise.all([loadCommunityAccess(env, slug, reader), reader.user()]);
  const standing = await buyerStandingOf(env, access?.community.id ?? "", access?.membership ?? null, access && user ? user.id : null);
  return { access, ...standing };
}

/**
 * Opens a Stripe Checkout Session for `tier` and `interval` (subscription mode, the tier's trial,
 * promotion codes per the owner's setting, the member's email prefilled through their Customer,
 * metadata on the session and on `subscription_data`). Answers the page to send the member to.
 * @throws 400 validation_failed for the free tier; 409 already_subscribed for the owner and admins
 *   (`reason: role_grants_every_tier`: they see every space already), when the member's effective
 *   tier covers `tier`, or when they already pay in this community (`reason: manage_in_portal`,
 *   `manageInPortal: true`: plan changes go through the portal); 409 price_not_published;
 *   429 rate_limited; 502 stripe_unavailable
 */
export async function startCheckout(
  env: Env,
  stripe: Stripe,
  access: Buyer,
  user: SessionUser,
  choice: { tier: string; interval: BillingInterval },
  origin: string,
): Promise<{ url: string }> {
  if (!(paidTierKeys as readonly string[]).includes(choice.tier)) {
    throw badRequest("The free tier costs nothing: there is nothing to buy.", { issues: [{ path: "tier", message: "Choose a paid tier", code: "free_tier" }] });
  }
  const tier = choice.tier as PaidTierKey;
  const communityId = access.community.id;
  if (roleGrantsEveryTier(access.membership)) {
    const reason: CheckoutRefusal = "role_grants_every_tier";
    throw new DomainError(409, "already_subscribed", `As the ${access.membership!.role} you already see every space and tier here: there is nothing to buy.`, { tier: topTier, reason });
  }
  if (access.membership && hasTier(effectiveTier(access.membership), tier)) {
    throw new DomainError(409, "already_subscribed", `You already have the ${tier} tier here.`, { tier: effectiveTier(access.membership) });
  }
  const db = getDb(env);
  const live = await liveSubscriptionOf(env, communityId, user.id);
  if (live) {
    const reason: CheckoutRefusal = "manage_in_portal";
    throw new DomainError(409, "already_subscribed", "You already pay for a plan here: change it in the billing portal.", { tier: live.tier, manageInPortal: true, reason });
  }
  const price = await priceOnSale(env, communityId, tier, choice.interval);
  if (!price?.stripePriceId) throw new DomainError(409, "price_not_published", `The ${tier} tier has no ${choice.interval}ly price yet.`);
  await limitCheckout(env, user.id);

  const [[tierRow], settings, trialEligible] = await Promise.all([
    db.select({ trialDays: schema.tiers.trialDays }).from(schema.tiers).where(and(eq(schema.tiers.communityId, communityId), eq(schema.tiers.key, tier))).limit(1),
    billingSettingsOf(env, communityId),
    trialEligibleOf(env, communityId, user.id),
  ]);
  const customer = await ensureCustomer(env, stripe, user, access.community);
  const metadata = { enclave_community: communityId, enclave_user: user.id, enclave_tier: tier };
  // the trial once per person and community: not again after a cancelled (or any) subscription
  const trialDays = trialEligible ? (tierRow?.trialDays ?? 0) : 0;
  const slug = encodeURIComponent(access.community.slug);
  const stripePriceId = price.stripePriceId;
  const session = await viaStripe(() =>
    stripe.checkout.sessions.create({
      mode: "subscription",
      customer,
      client_reference_id: user.id,
      line_items: [{ price: stripePriceId, quantity: 1 }],
      ...(settings.allowPromotionCodes ? { allow_promotion_codes: true } : {}),
      metadata: { ...metadata, [STARTED_AT]: String(Date.now()) },
      subscription_data: { metadata, ...(trialDays > 0 ? { trial_period_days: trialDays } : {}) },
      locale: checkoutLocale(user.locale),
      success_url: `${origin}/c/${slug}/billing/success?session_id={CHECKOUT_SESSION_ID}`,
      cancel_url: `${origin}/c/${slug}/billing/cancel`,
    }),
  );
  if (!session.url) throw new DomainError(502, "stripe_unavailable", "Stripe did not give a checkout page. Try again.");
  await expireOlderCheckouts(stripe, customer, { communityId, userId: user.id }, session);
  return { url: session.url };
}

/**
 * The portal configuration for a community: its products and their prices on sale (so plan
 * changes stay within the community), cancellation at period end, cards and invoices. Found by
 * metadata (`enclave_community`, `enclave_catalog` = a digest of the features) rather than stored:
 * a changed catalog gives a new digest, so a new configuration, and older ones are deactivated.
 * @throws 502 stripe_unavailable
 */
export async function portalConfiguration(env: Env, stripe: Stripe, community: Pick<Community, "id" | "name">, opts: { planChanges: boolean } = { planChanges: true }): Promise<string> {
  const communityId = community.id;
  const db = getDb(env);
  const rows = await db
    .select({ product: schema.tiers.stripeProductId, tier: schema.prices.tierKey, price: schema.prices.stripePriceId })
    .from(schema.prices)
    .innerJoin(schema.tiers, and(eq(schema.tiers.communityId, schema.prices.communityId), eq(schema.tiers.key, schema.prices.tierKey)))
    .where(and(eq(schema.prices.communityId, communityId), eq(schema.prices.active, true), isNotNull(schema.prices.stripePriceId), isNotNull(schema.tiers.stripeProductId)));
  const byProduct = new Map<string, string[]>();
  for (const r of rows) byProduct.set(r.product!, [...(byProduct.get(r.product!) ?? []), r.price!].sort());
  const products = [...byProduct].sort(([a], [b]) => a.localeCompare(b)).map(([product, prices]) => ({ product, prices }));
  const features: Stripe.BillingPortal.ConfigurationCreateParams.Features = {
    invoice_history: { enabled: true },
    payment_method_update: { enabled: true },
    subscription_cancel: { enabled: true, mode: "at_period_end" },
    // someone who is not a member any more changes no plan: they would pay for a tier they cannot use
    subscription_update:
      products.length > 0 && opts.planChanges
        ? { enabled: true, default_allowed_updates: ["price"], products, proration_behavior: "create_prorations" }
        : { enabled: false },
  };
  const digest = [...new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(JSON.stringify(features))))]
    .slice(0, 12)
    .map((b) => b.toString(16).padStart(2, "0"))
    .join("");
  // members' and former members' configurations are kept apart: opening one never retires the other
  const variant = opts.planChanges ? "member" : "former";
  const ours: Stripe.BillingPortal.Configuration[] = [];
  await viaStripe(async () => {
    for await (const config of stripe.billingPortal.configurations.list({ active: true, limit: 100 })) {
      if (config.metadata?.enclave_community === communityId && (config.metadata?.enclave_portal ?? "member") === variant) ours.push(config);
    }
  });
  const current = ours.find((c) => c.metadata?.enclave_catalog === digest);
  if (current) return current.id;
  const made = await viaStripe(() =>
    stripe.billingPortal.configurations.create(
      { features, business_profile: { headline: community.name.slice(0, 60) }, metadata: { enclave_community: communityId, enclave_catalog: digest, enclave_portal: variant } },
      { idempotencyKey: `enclave-portal:${communityId}:${digest}` },
    ),
  );
  for (const old of ours) {
    // an outdated catalog offers archived prices; a failure here only leaves it unused
    await stripe.billingPortal.configurations.update(old.id, { active: false }).catch(() => undefined);
  }
  return made.id;
}

/**
 * A customer portal session (cards, invoices, cancel at period end, plan changes within this
 * community — for a member only) on `user`'s (the signed-in `reader`'s) Customer for the community
 * `slug` (ADR 041), so it lists only what they bought here. An active member returns to the community's plan page; anyone else with a
 * Customer here — who left, was removed or banned while a plan runs to its period's end, or whose
 * receipts are all they came for — returns to their account's billing page (/settings/billing),
 * since the community's pages are no longer theirs.
 * @throws 404 not_found when the user has no Customer for this community (for a non-member the
 *   same answer as for a community that does not exist); 409 payments_not_configured; 502 stripe_unavailable
 */
export async function openPortal(env: Env, slug: string, reader: Reader, user: SessionUser, origin: string): Promise<{ url: string }> {
  const found = await loadCommunityAccess(env, slug, reader);
  if (!found) throw notFound("No such community.");
  const member = found.membership !== null;
  const customer = await customerOf(env, user.id, found.community.id);
  if (!customer) throw notFound(member ? "You have no billing account in this community yet." : "No such community.");
  // after the 404: whether payments are configured is not told to someone with no account here
  const stripe = requireStripe(env);
  const configuration = await portalConfiguration(env, stripe, found.community, { planChanges: member });
  const back = member ? `/c/${encodeURIComponent(found.community.slug)}/billing` : "/settings/billing";
  const session = await viaStripe(() => stripe.billingPortal.sessions.create({ customer, configuration, return_url: `${origin}${back}` }));
  return { url: session.url };
}
