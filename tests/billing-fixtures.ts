// Fixtures for the billing tests: the real SDK pointed at the stand-in (tests/stripe-global-setup.ts),
// its JSON test controls, and an owner publishing prices through the API; for the webhook tests,
// subscriptions made through the SDK, the stand-in's recorded events read back, signed here with
// `generateTestHeaderStringAsync` and posted to the webhook as Stripe would.
import { env } from "cloudflare:workers";
import { and, eq } from "drizzle-orm";
import Stripe from "stripe";
import { expect } from "vitest";
import { stripeFor } from "../workers/billing/client";
import { createWorkerApp } from "../workers/server";
import { getDb, schema } from "../workers/db/client";
import type { TierKey } from "../workers/lib/vocabulary";
import { call, ORIGIN, unique, type TestUser } from "./helpers";
import type { TestCommunity } from "./community-fixtures";

/** The SDK as the Worker makes it (STRIPE_API_BASE → the stand-in). */
export const stripe = stripeFor(env)!;

/** A stand-in path (`/_stand-in/…`, `/checkout/…`) fetched from the test, as a browser or test control would. */
export const standIn = (path: string, init?: RequestInit) => fetch(`${env.STRIPE_API_BASE}${path}`, init);

/** The stand-in's record of what a checkout session was created with (its `subscription_data` is not on the Session object). */
export async function checkoutAsStored(sessionId: string): Promise<{ session: any; params: any }> {
  return (await standIn(`/_stand-in/checkout/${sessionId}`)).json();
}

/** Presses Pay on the test checkout page at `url`; answers the redirect's Location. */
export async function payAt(url: string, promotionCode = ""): Promise<string | null> {
  const res = await fetch(`${url}/pay`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ promotion_code: promotionCode }),
    redirect: "manual",
  });
  expect(res.status).toBe(303);
  return res.headers.get("location");
}

export type Prices = Partial<Record<"member" | "vip", { month?: number | null; year?: number | null; trialDays?: number }>>;

/** PUT /billing as the owner with `prices` (minor units) in `currency`; expects 200 and answers the body. */
export async function publishPrices(community: TestCommunity, prices: Prices, extra: Record<string, unknown> = {}, currency = "twd") {
  const res = await call(`/api/v1/communities/${community.slug}/billing`, {
    method: "PUT",
    as: community.owner,
    body: { currency, ...extra, tiers: Object.entries(prices).map(([key, p]) => ({ key, ...p })) },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
}

// ---- webhooks (payhooks) ----------------------------------------------------------------------


/** A Stripe Product and recurring Price in the stand-in, and the community's prices row for it. */
export async function makePrice(community: TestCommunity, tier: Exclude<TierKey, "free">, amount: number, interval: "month" | "year" = "month", currency = "usd") {
  const product = await stripe.products.create({ name: `${community.slug} ${tier}`, metadata: { enclave_community: community.id, enclave_tier: tier } });
  const price = await stripe.prices.create({ product: product.id, unit_amount: amount, currency, recurring: { interval }, metadata: { enclave_community: community.id, enclave_tier: tier } });
  const id = unique("price_row_");
  const p = schema.prices;
  // a new community comes with unpublished price rows: this one takes their place
  await getDb(env).delete(p).where(and(eq(p.communityId, community.id), eq(p.tierKey, tier), eq(p.interval, interval)));
  await getDb(env)
    .insert(schema.prices)
    .values({ id, communityId: community.id, tierKey: tier, interval, amount, currency, stripePriceId: price.id, active: true, createdAt: new Date() });
  return { id, stripePriceId: price.id };
}

/** A Stripe customer for `user` in `community`, remembered in billing_customers as checkout would (one per user and community, ADR 041). */
export async function customerFor(user: TestUser, community: TestCommunity): Promise<string> {
  const bc = schema.billingCustomers;
  const [known] = await getDb(env).select().from(bc).where(and(eq(bc.userId, user.id), eq(bc.communityId, community.id)));
  if (known) return known.stripeCustomerId;
  const customer = await stripe.customers.create({ email: user.email, metadata: { enclave_user: user.id, enclave_community: community.id } });
  await getDb(env).insert(bc).values({ userId: user.id, communityId: community.id, stripeCustomerId: customer.id });
  return customer.id;
}

/** A subscription in the stand-in with Enclave's metadata (active, or trialing with `trialDays`). */
export async function subscribe(community: TestCommunity, user: TestUser, tier: Exclude<TierKey, "free">, price: { stripePriceId: string }, opts: { trialDays?: number; customer?: string } = {}) {
  return stripe.subscriptions.create({
    customer: opts.customer ?? (await customerFor(user, community)),
    items: [{ price: price.stripePriceId }],
    metadata: { enclave_community: community.id, enclave_user: user.id, enclave_tier: tier },
    ...(opts.trialDays ? { trial_period_days: opts.trialDays } : {}),
  });
}

/** A paid checkout through the stand-in, with a promotion code (the only way its discounts are made). */
export async function checkoutWithCode(community: TestCommunity, user: TestUser, tier: Exclude<TierKey, "free">, price: { stripePriceId: string }, code: string, opts: { trialDays?: number } = {}) {
  const metadata = { enclave_community: community.id, enclave_user: user.id, enclave_tier: tier };
  const session = await stripe.checkout.sessions.create({
    mode: "subscription",
    customer: await customerFor(user, community),
    line_items: [{ price: price.stripePriceId, quantity: 1 }],
    allow_promotion_codes: true,
    metadata,
    subscription_data: { metadata, ...(opts.trialDays ? { trial_period_days: opts.trialDays } : {}) },
    success_url: `${ORIGIN}/c/${community.slug}/billing/success?session_id={CHECKOUT_SESSION_ID}`,
    cancel_url: `${ORIGIN}/c/${community.slug}/billing/cancel`,
  });
  const paid = await control(`/_stand-in/checkout/${session.id}/pay`, { promotionCode: code });
  return { sessionId: session.id, subscriptionId: paid.result.subscription.id as string };
}

/** A JSON test control of the stand-in (`/_stand-in/...`: GET for events, else POST `body`); expects 200, answers its JSON. */
export async function control(path: string, body?: unknown): Promise<any> {
  const res = await standIn(path, {
    method: body === undefined && path.startsWith("/_stand-in/events") ? "GET" : "POST",
    headers: { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  expect(res.status, `${path} answered ${res.status}`).toBe(200);
  return res.json();
}

export type RecordedEvent = { id: string; type: string; payload: string };

/** The events the stand-in recorded for a subscription, oldest first (optionally of one type). */
export async function eventsOf(subscriptionId: string, type?: string): Promise<RecordedEvent[]> {
  const query = new URLSearchParams({ subscription: subscriptionId, ...(type ? { type } : {}) });
  const list = await control(`/_stand-in/events?${query}`);
  return list.data;
}

/** The latest recorded event of `type` for a subscription. */
export async function lastEvent(subscriptionId: string, type: string): Promise<RecordedEvent> {
  const events = await eventsOf(subscriptionId, type);
  expect(events.length, `no ${type} for ${subscriptionId}`).toBeGreaterThan(0);
  return events[events.length - 1];
}

/** Post a payload to the webhook signed as Stripe signs it (`timestamp` in s; default now). */
export async function postWebhook(payload: string, opts: { secret?: string; timestamp?: number; signature?: string | null; headers?: Record<string, string> } = {}) {
  const signature =
    opts.signature === undefined
      ? await Stripe.webhooks.generateTestHeaderStringAsync({ payload, secret: opts.secret ?? env.STRIPE_WEBHOOK_SECRET, timestamp: opts.timestamp, cryptoProvider: Stripe.createSubtleCryptoProvider() })
      : opts.signature;
  return call("/api/v1/webhooks/stripe", {
    body: payload,
    // Stripe sends no Origin; the webhook must not need one
    headers: { Origin: "", ...(signature === null ? {} : { "Stripe-Signature": signature }), "Content-Type": "application/json; charset=utf-8", ...opts.headers },
  });
}

/** Deliver recorded events in the order given; each must answer 200. */
export async function deliver(...events: RecordedEvent[]) {
  for (const event of events) {
    const res = await postWebhook(event.payload);
    expect(res.status, `${event.type} answered ${res.status}: ${JSON.stringify(res.body)}`).toBe(200);
  }
}

/** Deliver every recorded event of a subscription not yet delivered by this test, oldest first. */
export async function deliverAll(subscriptionId: string) {
  await deliver(...(await eventsOf(subscriptionId)));
}

export async function subscriptionRow(id: string) {
  const [row] = await getDb(env).select().from(schema.subscriptions).where(eq(schema.subscriptions.id, id));
  return row;
}

export async function paidTierOf(community: TestCommunity, user: TestUser) {
  const m = schema.memberships;
  const [row] = await getDb(env).select({ paidTier: m.paidTier, compTier: m.compTier }).from(m).where(and(eq(m.communityId, community.id), eq(m.userId, user.id)));
  return row;
}

/** How many `access.changed` tier_changed events the community has recorded for a member. */
export async function tierChanges(community: TestCommunity, user: TestUser): Promise<number> {
  const e = schema.domainEvents;
  const rows = await getDb(env).select({ payload: e.payload }).from(e).where(and(eq(e.communityId, community.id), eq(e.kind, "access.changed")));
  return rows.filter((r) => {
    const p = (typeof r.payload === "string" ? JSON.parse(r.payload) : r.payload) as { reason: string; userId: string | null };
    return p.reason === "tier_changed" && p.userId === user.id;
  }).length;
}

/** The API with other Stripe settings (the bindings are fixed per run; the app takes env per request): status and JSON body (null when empty). */
export async function callWith(overrides: Partial<Env>, path: string, as: TestUser, init: { method?: string; body?: unknown } = {}) {
  const res = await createWorkerApp().request(
    `${ORIGIN}${path}`,
    {
      method: init.method ?? "GET",
      headers: { Origin: ORIGIN, Cookie: as.cookie, ...(init.body ? { "Content-Type": "application/json" } : {}) },
      body: init.body ? JSON.stringify(init.body) : undefined,
    },
    { ...env, ...overrides },
  );
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : null) as any };
}
