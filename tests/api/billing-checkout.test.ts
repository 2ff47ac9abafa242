// Checkout and the customer portal through the real SDK against the Stripe stand-in (ADR 037):
// the refusals, the session as Stripe stored it, one Customer per user and community under
// concurrent first checkouts, the newest of concurrent checkouts left payable, the trial once per
// member and community, and a portal configured with the community's products (ADR 040, 041).
import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { checkoutBefore } from "../../workers/billing/checkout";
import { schema } from "../../workers/db/client";
import { addMember, db, expectError, makeCommunity, type TestCommunity } from "../community-fixtures";
import { checkoutAsStored, control, deliverAll, payAt, publishPrices, stripe } from "../billing-fixtures";
import { awayFromMinuteEdge, call, createUser, type TestUser } from "../helpers";

const checkout = (c: TestCommunity, as: TestUser | null, body: unknown = { tier: "vip", interval: "month" }) =>
  call(`/api/v1/communities/${c.slug}/checkout`, { as, body });
const sessionIdOf = (url: string) => url.split("/checkout/")[1];

async function pricedCommunity(extra: Record<string, unknown> = {}) {
  const c = await makeCommunity();
  await publishPrices(c, { member: { month: 15_000, year: 150_000 }, vip: { month: 30_000, trialDays: 14 } }, extra);
  return c;
}

describe("checkout", () => {
  it("opens a subscription checkout with metadata on the session and subscription_data, the tier's trial and the member's email", async () => {
    const c = await pricedCommunity({ allowPromotionCodes: true });
    const member = await addMember(c);
    const res = await checkout(c, member);
    expect(res.status).toBe(200);
    expect(res.body.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/checkout\/cs_test_/);
    const { session, params } = await checkoutAsStored(sessionIdOf(res.body.url));
    const metadata = { enclave_community: c.id, enclave_user: member.id, enclave_tier: "vip" };
    const [customerRow] = await db()
      .select()
      .from(schema.billingCustomers)
      .where(and(eq(schema.billingCustomers.userId, member.id), eq(schema.billingCustomers.communityId, c.id)));
    expect(session).toMatchObject({
      mode: "subscription",
      status: "open",
      customer: customerRow.stripeCustomerId,
      client_reference_id: member.id,
      allow_promotion_codes: true,
      metadata,
      success_url: `http://localhost/c/${c.slug}/billing/success?session_id={CHECKOUT_SESSION_ID}`,
      cancel_url: `http://localhost/c/${c.slug}/billing/cancel`,
      customer_details: { email: member.email },
    });
    expect(params.subscription_data).toEqual({ metadata, trial_period_days: "14" });
    const [vipMonth] = await db().select().from(schema.prices).where(eq(schema.prices.stripePriceId, params.line_items[0].price));
    expect(vipMonth).toMatchObject({ communityId: c.id, tierKey: "vip", interval: "month", active: true });
    const customer = await stripe.customers.retrieve(customerRow.stripeCustomerId);
    expect(customer).toMatchObject({ email: member.email, name: member.name, metadata: { enclave_user: member.id, enclave_community: c.id } });
  });

  it("leaves promotion codes off unless the owner allows them, and the trial off for a tier without one", async () => {
    const c = await pricedCommunity();
    const member = await addMember(c);
    const res = await checkout(c, member, { tier: "member", interval: "year" });
    const { session, params } = await checkoutAsStored(sessionIdOf(res.body.url));
    expect(session.allow_promotion_codes).toBeNull();
    expect(params.subscription_data.trial_period_days).toBeUndefined();
  });

  it("refuses a tier the member already has, by comp or by payment, with 409 already_subscribed", async () => {
    const c = await pricedCommunity();
    const comped = await addMember(c);
    await db().update(schema.memberships).set({ compTier: "vip" }).where(eq(schema.memberships.userId, comped.id));
    expectError(await checkout(c, comped), 409, "already_subscribed");
    const paying = await addMember(c, { paidTier: "vip" });
    expectError(await checkout(c, paying), 409, "already_subscribed");
    // a vip also has member; a comp member may still buy vip
    expectError(await checkout(c, paying, { tier: "member", interval: "month" }), 409, "already_subscribed");
    const compMember = await addMember(c);
    await db().update(schema.memberships).set({ compTier: "member" }).where(eq(schema.memberships.userId, compMember.id));
    expect((await checkout(c, compMember)).status).toBe(200);
  });

  it("refuses the owner and admins with 409 already_subscribed (reason role_grants_every_tier): they see every space already", async () => {
    const c = await pricedCommunity();
    const admin = await addMember(c, { role: "admin" });
    for (const who of [c.owner, admin]) {
      for (const choice of [{ tier: "vip", interval: "month" }, { tier: "member", interval: "year" }]) {
        const res = await checkout(c, who, choice);
        expectError(res, 409, "already_subscribed");
        expect(res.body.error).toMatchObject({ reason: "role_grants_every_tier", tier: "vip" });
        expect(res.body.error.message).toMatch(/already see every space/);
      }
    }
    // nothing was opened in Stripe for them: no Customer was made
    const customers = await db().select().from(schema.billingCustomers).where(eq(schema.billingCustomers.userId, c.owner.id));
    expect(customers).toEqual([]);
    // a moderator does not see tiered spaces without a tier: they may buy
    const moderator = await addMember(c, { role: "moderator" });
    expect((await checkout(c, moderator)).status).toBe(200);
  });

  it("tells the pages who cannot buy at all: checkoutRefusal in /billing/me and /pricing", async () => {
    const c = await pricedCommunity();
    expect((await call(`/api/v1/communities/${c.slug}/pricing`, { method: "PATCH", as: c.owner, body: { published: true } })).status).toBe(200);
    const admin = await addMember(c, { role: "admin" });
    const member = await addMember(c);
    const paying = await addMember(c);
    const now = new Date();
    await db().insert(schema.subscriptions).values({
      id: `sub_live_${paying.id}`, communityId: c.id, userId: paying.id, tierKey: "member", stripePriceId: "price_x", interval: "month",
      currency: "twd", status: "active", createdAt: now, updatedAt: now,
    });
    const refusal = async (as: TestUser | null, path: string) => (await call(`/api/v1/communities/${c.slug}${path}`, { as })).body.checkoutRefusal;
    for (const path of ["/billing/me", "/pricing"]) {
      expect(await refusal(c.owner, path)).toBe("role_grants_every_tier");
      expect(await refusal(admin, path)).toBe("role_grants_every_tier");
      expect(await refusal(member, path)).toBeNull();
      expect(await refusal(paying, path)).toBe("manage_in_portal");
    }
    expect(await refusal(null, "/pricing")).toBeNull();
    expect(await refusal(await createUser(), "/pricing")).toBeNull();
    // a banned user reads the published page but is told they cannot buy; checkout answers them 404 as before
    const banned = await addMember(c);
    expect((await call(`/api/v1/communities/${c.slug}/bans`, { as: c.owner, body: { userId: banned.id, reason: "spam" } })).status).toBe(201);
    expect(await refusal(banned, "/pricing")).toBe("banned");
    expectError(await checkout(c, banned), 404, "not_found");
    // what the refusal says is what checkout answers
    const refused = await checkout(c, paying);
    expectError(refused, 409, "already_subscribed");
    expect(refused.body.error).toMatchObject({ reason: "manage_in_portal", manageInPortal: true });
  });

  it("refuses a second subscription while one is live: plan changes go through the portal", async () => {
    const c = await pricedCommunity();
    const member = await addMember(c);
    const now = new Date();
    await db().insert(schema.subscriptions).values({
      id: `sub_live_${member.id}`, communityId: c.id, userId: member.id, tierKey: "member", stripePriceId: "price_x", interval: "month",
      currency: "twd", status: "trialing", createdAt: now, updatedAt: now,
    });
    const res = await checkout(c, member);
    expectError(res, 409, "already_subscribed");
    expect(res.body.error.manageInPortal).toBe(true);
    // an abandoned (incomplete) one grants nothing and does not stand in the way
    await db().update(schema.subscriptions).set({ status: "incomplete" }).where(eq(schema.subscriptions.id, `sub_live_${member.id}`));
    expect((await checkout(c, member)).status).toBe(200);
  });

  it("leaves only the newest of a member's checkouts payable: two tabs cannot pay twice (the first is expired)", async () => {
    const c = await makeCommunity();
    const member = await addMember(c);
    await publishPrices(c, { vip: { month: 30000, year: 300000 } });
    const first = await call(`/api/v1/communities/${c.slug}/checkout`, { as: member, body: { tier: "vip", interval: "month" } });
    const second = await call(`/api/v1/communities/${c.slug}/checkout`, { as: member, body: { tier: "vip", interval: "year" } });
    expect([first.status, second.status]).toEqual([200, 200]);
    expect((await checkoutAsStored(sessionIdOf(first.body.url))).session.status).toBe("expired");
    expect((await checkoutAsStored(sessionIdOf(second.body.url))).session.status).toBe("open");
    // the first tab's Pay is refused by the checkout page; the second pays
    const refused = await fetch(`${first.body.url}/pay`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "", redirect: "manual" });
    expect(refused.status).toBe(400);
    expect(await payAt(second.body.url)).toContain("/billing/success?session_id=");
  });

  it("tells a banned user checkoutRefusal \"banned\" on a public community's pricing page, a live subscription notwithstanding; checkout stays 404", async () => {
    const c = await makeCommunity({ visibility: "public" });
    await publishPrices(c, { vip: { month: 30000 } });
    expect((await call(`/api/v1/communities/${c.slug}/pricing`, { method: "PATCH", as: c.owner, body: { published: true } })).status).toBe(200);
    const payer = await addMember(c);
    const now = new Date();
    await db().insert(schema.subscriptions).values({
      id: `sub_banned_${payer.id}`, communityId: c.id, userId: payer.id, tierKey: "vip", stripePriceId: "price_x", interval: "month",
      currency: "twd", status: "active", cancelAtPeriodEnd: true, createdAt: now, updatedAt: now,
    });
    const stranger = await createUser();
    for (const who of [payer, stranger]) {
      expect((await call(`/api/v1/communities/${c.slug}/bans`, { as: c.owner, body: { userId: who.id, reason: "spam" } })).status).toBe(201);
      const page = await call(`/api/v1/communities/${c.slug}/pricing`, { as: who });
      expect(page.status).toBe(200);
      expect(page.body.checkoutRefusal).toBe("banned");
      expectError(await checkout(c, who), 404, "not_found");
    }
  });

  it("never expires a newer checkout: of checkouts started at the same moment the newest stays open and payable", async () => {
    const c = await pricedCommunity();
    const choices = [{ tier: "vip", interval: "month" }, { tier: "member", interval: "month" }, { tier: "member", interval: "year" }];
    for (let round = 0; round < 3; round++) {
      const member = await addMember(c);
      const answers = await Promise.all(choices.map((choice) => checkout(c, member, choice)));
      expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
      const sessions = await Promise.all(answers.map(async (a) => (await checkoutAsStored(sessionIdOf(a.body.url))).session));
      // newest: Stripe's created (s), then when Enclave made it (ms, metadata), then the larger id
      const startedAt = (x: { metadata: Record<string, string> }) => Number(x.metadata.enclave_started_at);
      const newest = [...sessions].sort((a, b) => b.created - a.created || startedAt(b) - startedAt(a) || (a.id < b.id ? 1 : -1))[0];
      expect(newest.status).toBe("open");
      // an older one may stay open when its request listed before a same-second newer one existed:
      // paying both is the webhook's duplicate guard's (ADR 040); a newer one is never expired
      for (const other of sessions) expect(["open", "expired"]).toContain(other.status);
      const newestUrl = answers[sessions.indexOf(newest)].body.url;
      expect(await payAt(newestUrl)).toContain("/billing/success?session_id=");
    }
  });

  it("orders checkouts by Stripe's created (s), then when Enclave started them (ms), then the smaller id", () => {
    const at = (id: string, created: number, startedAt?: number) => ({
      id,
      created,
      metadata: (startedAt === undefined ? {} : { enclave_started_at: String(startedAt) }) as Record<string, string>,
    });
    expect(checkoutBefore(at("cs_b", 100, 9_000), at("cs_a", 101, 1_000))).toBe(true);
    expect(checkoutBefore(at("cs_b", 100, 1_000), at("cs_a", 100, 2_000))).toBe(true);
    expect(checkoutBefore(at("cs_a", 100, 2_000), at("cs_b", 100, 1_000))).toBe(false);
    expect(checkoutBefore(at("cs_a", 100, 5), at("cs_b", 100, 5))).toBe(true);
    expect(checkoutBefore(at("cs_b", 100, 5), at("cs_a", 100, 5))).toBe(false);
    // one made before Enclave wrote the time counts as earlier
    expect(checkoutBefore(at("cs_z", 100), at("cs_a", 100, 5))).toBe(true);
  });

  it("offers a tier's trial once per member and community: not again after cancelling, and trialEligible says so", async () => {
    const c = await pricedCommunity();
    expect((await call(`/api/v1/communities/${c.slug}/pricing`, { method: "PATCH", as: c.owner, body: { published: true } })).status).toBe(200);
    const member = await addMember(c);
    const eligible = async (as: TestUser | null) => {
      const pricing = (await call(`/api/v1/communities/${c.slug}/pricing`, { as })).body.trialEligible;
      if (!as) return pricing;
      const me = (await call(`/api/v1/communities/${c.slug}/billing/me`, { as })).body.trialEligible;
      expect(me, "/billing/me and /pricing agree").toBe(pricing);
      return me;
    };
    expect(await eligible(member)).toBe(true);
    const first = await checkout(c, member);
    expect((await checkoutAsStored(sessionIdOf(first.body.url))).params.subscription_data.trial_period_days).toBe("14");
    const location = await payAt(first.body.url);
    const subscriptionId = (await checkoutAsStored(new URL(location!).searchParams.get("session_id")!)).session.subscription as string;
    await deliverAll(subscriptionId);
    expect((await call(`/api/v1/communities/${c.slug}/billing/me`, { as: member })).body.subscription).toMatchObject({ status: "trialing" });
    expect(await eligible(member)).toBe(false);
    await control(`/_stand-in/subscriptions/${subscriptionId}/cancel`, {});
    await deliverAll(subscriptionId);
    expect((await call(`/api/v1/communities/${c.slug}/billing/me`, { as: member })).body.subscription).toMatchObject({ status: "canceled" });
    // checking out again: no trial, and the pages know
    expect(await eligible(member)).toBe(false);
    const again = await checkout(c, member);
    expect(again.status).toBe(200);
    const { params } = await checkoutAsStored(sessionIdOf(again.body.url));
    expect(params.subscription_data).toEqual({ metadata: { enclave_community: c.id, enclave_user: member.id, enclave_tier: "vip" } });
    // someone who never subscribed here is still offered it, signed in or not, and so is the member elsewhere
    expect(await eligible(await addMember(c))).toBe(true);
    expect(await eligible(null)).toBe(true);
    const elsewhere = await pricedCommunity();
    await addMember(elsewhere, { user: member });
    const there = await checkout(elsewhere, member);
    expect((await checkoutAsStored(sessionIdOf(there.body.url))).params.subscription_data.trial_period_days).toBe("14");
  });

  it("refuses the free tier with 400, an unpublished price with 409 price_not_published", async () => {
    const c = await pricedCommunity();
    const member = await addMember(c);
    expectError(await checkout(c, member, { tier: "free", interval: "month" }), 400, "validation_failed");
    expectError(await checkout(c, member, { tier: "vip", interval: "year" }), 409, "price_not_published");
    expectError(await checkout(c, member, { tier: "gold", interval: "month" }), 400, "validation_failed");
    expectError(await checkout(c, member, { tier: "vip", interval: "week" }), 400, "validation_failed");
  });

  it("is 404 to someone who is not a member (public or private community), 401 signed out", async () => {
    const privateClub = await pricedCommunity();
    const stranger = await createUser();
    expectError(await checkout(privateClub, stranger), 404, "not_found");
    const publicClub = await makeCommunity({ visibility: "public" });
    expectError(await checkout(publicClub, stranger), 404, "not_found");
    const left = await addMember(privateClub, { status: "left" });
    expectError(await checkout(privateClub, left), 404, "not_found");
    expectError(await checkout(privateClub, null), 401, "unauthenticated");
  });

  it("makes one Stripe Customer for a user whose first checkouts in a community run at once", async () => {
    const c = await pricedCommunity();
    const member = await addMember(c);
    const answers = await Promise.all([checkout(c, member), checkout(c, member, { tier: "member", interval: "month" }), checkout(c, member)]);
    for (const a of answers) expect(a.status).toBe(200);
    const rows = await db().select().from(schema.billingCustomers).where(eq(schema.billingCustomers.userId, member.id));
    expect(rows).toHaveLength(1);
    expect(rows[0].communityId).toBe(c.id);
    const customers = await Promise.all(answers.map(async (a) => (await checkoutAsStored(sessionIdOf(a.body.url))).session.customer));
    expect(new Set(customers)).toEqual(new Set([rows[0].stripeCustomerId]));
  });

  it("rate-limits checkout per member: the 11th in a minute is 429", async () => {
    await awayFromMinuteEdge();
    const c = await pricedCommunity();
    const member = await addMember(c);
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++) statuses.push((await checkout(c, member, { tier: "member", interval: "month" })).status);
    expect(statuses.slice(0, 10).every((s) => s === 200)).toBe(true);
    expect(statuses[10]).toBe(429);
  });

  it("without a Stripe key answers 409 payments_not_configured", async () => {
    const { createWorkerApp } = await import("../../workers/server");
    const { env } = await import("cloudflare:workers");
    const c = await pricedCommunity();
    const member = await addMember(c);
    const res = await createWorkerApp().request(
      `http://localhost/api/v1/communities/${c.slug}/checkout`,
      { method: "POST", headers: { Origin: "http://localhost", Cookie: member.cookie, "Content-Type": "application/json" }, body: JSON.stringify({ tier: "vip", interval: "month" }) },
      { ...env, STRIPE_SECRET_KEY: "" },
    );
    expect(res.status).toBe(409);
    expect(((await res.json()) as any).error.code).toBe("payments_not_configured");
  });
});

describe("portal", () => {
  it("is 404 before the member has a Stripe Customer", async () => {
    const c = await pricedCommunity();
    const member = await addMember(c);
    expectError(await call(`/api/v1/communities/${c.slug}/billing/portal`, { method: "POST", as: member }), 404, "not_found");
  });

  it("stays open to a payer who left, was banned, or is in a private community they no longer see: receipts and the running plan are theirs; they return to /settings/billing", async () => {
    const c = await pricedCommunity();
    await call(`/api/v1/communities/${c.slug}`, { method: "PATCH", as: c.owner, body: { visibility: "private" } });
    const [leaver, banned] = [await addMember(c), await addMember(c)];
    for (const who of [leaver, banned]) {
      const started = await checkout(c, who, { tier: "member", interval: "month" });
      await payAt(started.body.url);
      await deliverAll((await checkoutAsStored(sessionIdOf(started.body.url))).session.subscription);
    }
    expect((await call(`/api/v1/communities/${c.slug}/leave`, { method: "POST", as: leaver })).status).toBeLessThan(300);
    expect((await call(`/api/v1/communities/${c.slug}/bans`, { as: c.owner, body: { userId: banned.id, reason: "spam" } })).status).toBe(201);
    // the community is gone from their view (private, not a member)…
    expectError(await call(`/api/v1/communities/${c.slug}`, { as: leaver }), 404, "not_found");
    for (const who of [leaver, banned]) {
      // …but its billing account is not: the account page lists it, and the portal opens
      const accounts = await call(`/api/v1/me/billing`, { as: who });
      expect(accounts.status).toBe(200);
      expect(accounts.body.items).toEqual([{ community: { id: c.id, slug: c.slug, name: expect.any(String) }, member: false, plan: expect.objectContaining({ tier: "member" }) }]);
      const portal = await call(`/api/v1/communities/${c.slug}/billing/portal`, { method: "POST", as: who });
      expect(portal.status).toBe(200);
      expect(await (await fetch(portal.body.url)).text()).toContain('href="http://localhost/settings/billing"');
    }
    // someone who never paid here gets the answer an unknown community gets
    const stranger = await createUser();
    for (const slug of [c.slug, "no-such-community-here"]) {
      expectError(await call(`/api/v1/communities/${slug}/billing/portal`, { method: "POST", as: stranger }), 404, "not_found");
    }
    expect((await call(`/api/v1/me/billing`, { as: stranger })).body).toEqual({ items: [], nextCursor: null });
    expectError(await call(`/api/v1/me/billing`), 401, "unauthenticated");
  });

  it("opens the portal for a payer, configured with the community's products, returning to the billing page", async () => {
    const c = await pricedCommunity();
    const member = await addMember(c);
    const started = await checkout(c, member, { tier: "member", interval: "month" });
    await payAt(started.body.url);
    const res = await call(`/api/v1/communities/${c.slug}/billing/portal`, { method: "POST", as: member });
    expect(res.status).toBe(200);
    const page = await (await fetch(res.body.url)).text();
    expect(page).toContain("Enclave test billing portal");
    expect(page).toContain(`href="http://localhost/c/${c.slug}/billing"`);
    // switching offers the community's other prices on sale, and only those
    const tiers = await db().select().from(schema.tiers).where(eq(schema.tiers.communityId, c.id));
    const vipProduct = tiers.find((t) => t.key === "vip")!.stripeProductId!;
    const configs = await stripe.billingPortal.configurations.list({ active: true, limit: 100 });
    const ours = configs.data.filter((x) => x.metadata?.enclave_community === c.id);
    expect(ours).toHaveLength(1);
    expect(ours[0].features.subscription_cancel).toMatchObject({ enabled: true, mode: "at_period_end" });
    expect(ours[0].features.subscription_update.products!.map((p) => p.product)).toContain(vipProduct);
    expect(page).toMatch(/Switch to .*TWD 30000 \(minor units\) per month/);
    expect(page).toMatch(/Switch to .*TWD 150000 \(minor units\) per year/);
    // a second portal visit with the same catalog reuses the configuration
    await call(`/api/v1/communities/${c.slug}/billing/portal`, { method: "POST", as: member });
    const again = (await stripe.billingPortal.configurations.list({ active: true, limit: 100 })).data.filter((x) => x.metadata?.enclave_community === c.id);
    expect(again.map((x) => x.id)).toEqual([ours[0].id]);
  });
});
