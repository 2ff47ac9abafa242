// Owner billing settings and price sync through the real SDK against the Stripe stand-in (ADR 037):
// Products and Prices made in Stripe, a replaced price archived on both sides while its subscribers
// keep it, amounts checked per currency, Stripe failures and races leaving nothing half-written.
import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { addMember, db, env, expectError, makeCommunity } from "../community-fixtures";
import { callWith, publishPrices, stripe } from "../billing-fixtures";
import { call, createUser, ORIGIN, type TestUser } from "../helpers";
import { schema } from "../../workers/db/client";

const activePrices = (communityId: string) =>
  db().select().from(schema.prices).where(and(eq(schema.prices.communityId, communityId), eq(schema.prices.active, true)));
const pricesOf = (communityId: string) => db().select().from(schema.prices).where(eq(schema.prices.communityId, communityId));

describe("billing settings", () => {
  it("answers defaults with configured and the stand-in mode before anything is saved", async () => {
    const c = await makeCommunity();
    const res = await call(`/api/v1/communities/${c.slug}/billing`, { as: c.owner });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      configured: true,
      mode: "stand-in",
      settings: { currency: "usd", allowPromotionCodes: false, graceDays: 7, refundPolicy: "revoke", pricingPublished: false },
      tiers: [
        // a new community's default prices are drafts: nothing is on sale until published
        { key: "member", name: expect.any(String), trialDays: 0, prices: { month: null, year: null }, drafts: { month: { amount: 500, currency: "usd" }, year: { amount: 5000, currency: "usd" } } },
        { key: "vip", name: expect.any(String), trialDays: 0, prices: { month: null, year: null }, drafts: { month: { amount: 1500, currency: "usd" }, year: { amount: 15000, currency: "usd" } } },
      ],
    });
  });

  it("without a Stripe key: GET says not configured, PUT answers 409 payments_not_configured with where to read how", async () => {
    const c = await makeCommunity();
    const got = await callWith({ STRIPE_SECRET_KEY: "" }, `/api/v1/communities/${c.slug}/billing`, c.owner);
    expect(got.status).toBe(200);
    expect(got.body).toMatchObject({ configured: false, mode: null });
    const put = await callWith({ STRIPE_SECRET_KEY: "" }, `/api/v1/communities/${c.slug}/billing`, c.owner, { method: "PUT", body: { graceDays: 3 } });
    expect(put.status).toBe(409);
    expect(put.body.error).toMatchObject({ code: "payments_not_configured", docs: "README.md#payments-stripe" });
    expect(put.body.error.message).toContain("STRIPE_SECRET_KEY");
    expect(JSON.stringify(put.body)).not.toContain("sk_test");
  });

  it("refuses an unknown key inside a tier with 400 (GET's shape sent back), as at the top level", async () => {
    const c = await makeCommunity();
    const res = await call(`/api/v1/communities/${c.slug}/billing`, { method: "PUT", as: c.owner, body: { tiers: [{ key: "member", prices: { month: { amount: 15000 } } }] } });
    expectError(res, 400, "validation_failed");
    expect(JSON.stringify(res.body.error.issues)).toContain("prices");
  });

  it("lets admins read but not write, is 403 to plain members and 404 to outsiders", async () => {
    const c = await makeCommunity();
    const admin = await addMember(c, { role: "admin" });
    const member = await addMember(c);
    expect((await call(`/api/v1/communities/${c.slug}/billing`, { as: admin })).status).toBe(200);
    expectError(await call(`/api/v1/communities/${c.slug}/billing`, { method: "PUT", as: admin, body: { graceDays: 3 } }), 403, "forbidden");
    // a member lacking the role: 403 (API.md); someone outside the community: 404
    expectError(await call(`/api/v1/communities/${c.slug}/billing`, { as: member }), 403, "forbidden");
    expectError(await call(`/api/v1/communities/${c.slug}/billing`, { method: "PUT", as: member, body: { graceDays: 3 } }), 403, "forbidden");
    expectError(await call(`/api/v1/communities/${c.slug}/billing`, { as: await createUser() }), 404, "not_found");
  });

  it("saves grace days, refund policy, promotion codes and trial days within their ranges", async () => {
    const c = await makeCommunity();
    const body = await publishPrices(c, { vip: { trialDays: 14 } }, { graceDays: 3, refundPolicy: "keep", allowPromotionCodes: true });
    expect(body.settings).toMatchObject({ currency: "twd", graceDays: 3, refundPolicy: "keep", allowPromotionCodes: true });
    expect(body.tiers.find((t: any) => t.key === "vip").trialDays).toBe(14);
    for (const bad of [{ graceDays: 61 }, { graceDays: -1 }, { tiers: [{ key: "vip", trialDays: 731 }] }, { tiers: [{ key: "free", month: 100 }] }, { currency: "xyz" }, { refundPolicy: "maybe" }]) {
      const res = await call(`/api/v1/communities/${c.slug}/billing`, { method: "PUT", as: c.owner, body: bad });
      expectError(res, 400, "validation_failed");
    }
  });
});

describe("price sync", () => {
  it("creates one Product per paid tier and monthly and yearly Prices in Stripe, tagged with community and tier", async () => {
    const c = await makeCommunity();
    const body = await publishPrices(c, { member: { month: 15_000, year: 150_000 }, vip: { month: 30_000 } });
    expect(body.tiers).toEqual([
      expect.objectContaining({ key: "member", prices: { month: { amount: 15_000, currency: "twd" }, year: { amount: 150_000, currency: "twd" } } }),
      expect.objectContaining({ key: "vip", prices: { month: { amount: 30_000, currency: "twd" }, year: null } }),
    ]);
    const rows = await activePrices(c.id);
    expect(rows).toHaveLength(3);
    const vipMonth = rows.find((r) => r.tierKey === "vip" && r.interval === "month")!;
    const price = await stripe.prices.retrieve(vipMonth.stripePriceId!, { expand: ["product"] });
    expect(price).toMatchObject({ active: true, unit_amount: 30_000, currency: "twd", recurring: { interval: "month" } });
    expect(price.metadata).toMatchObject({ enclave_community: c.id, enclave_tier: "vip" });
    const [tier] = await db().select().from(schema.tiers).where(and(eq(schema.tiers.communityId, c.id), eq(schema.tiers.key, "vip")));
    expect(price.product).toMatchObject({ id: tier.stripeProductId, metadata: { enclave_community: c.id, enclave_tier: "vip" } });
  });

  it("replacing a price makes a new Stripe Price and archives the old one (row and Stripe), never editing it", async () => {
    const c = await makeCommunity();
    await publishPrices(c, { member: { month: 15_000 } });
    const [old] = await activePrices(c.id);
    await publishPrices(c, { member: { month: 20_000 } });
    const all = await pricesOf(c.id);
    const archived = all.find((p) => p.id === old.id)!;
    expect(archived).toMatchObject({ active: false, amount: 15_000 });
    expect(archived.archivedAt).toBeInstanceOf(Date);
    const [current] = await activePrices(c.id);
    expect(current).toMatchObject({ amount: 20_000, active: true, archivedAt: null });
    expect(current.stripePriceId).not.toBe(old.stripePriceId);
    expect(await stripe.prices.retrieve(old.stripePriceId!)).toMatchObject({ active: false, unit_amount: 15_000 });
    expect(await stripe.prices.retrieve(current.stripePriceId!)).toMatchObject({ active: true, unit_amount: 20_000 });
    // an unchanged amount is left alone: no new Price
    await publishPrices(c, { member: { month: 20_000 } });
    expect((await activePrices(c.id))[0].id).toBe(current.id);
  });

  it("an existing subscriber keeps the price they bought after it is replaced", async () => {
    const c = await makeCommunity();
    await publishPrices(c, { vip: { month: 30_000 } });
    const [bought] = await activePrices(c.id);
    const customer = await stripe.customers.create({ email: "early@example.com" });
    const sub = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: bought.stripePriceId! }] });
    await publishPrices(c, { vip: { month: 40_000 } });
    const after = await stripe.subscriptions.retrieve(sub.id);
    expect(after.items.data[0].price).toMatchObject({ id: bought.stripePriceId, unit_amount: 30_000 });
    const kept = (await pricesOf(c.id)).find((p) => p.stripePriceId === bought.stripePriceId)!;
    expect(kept).toMatchObject({ amount: 30_000, active: false });
  });

  it("keeps the Product's name in step with a renamed tier on the next save", async () => {
    const c = await makeCommunity();
    await publishPrices(c, { vip: { month: 30_000 } });
    const renamed = await call(`/api/v1/communities/${c.slug}/tiers/vip`, { method: "PATCH", as: c.owner, body: { name: "Patron" } });
    expect(renamed.status).toBe(200);
    await publishPrices(c, {}, { graceDays: 5 });
    const [tier] = await db().select().from(schema.tiers).where(and(eq(schema.tiers.communityId, c.id), eq(schema.tiers.key, "vip")));
    expect(await stripe.products.retrieve(tier.stripeProductId!)).toMatchObject({ name: "Patron" });
  });

  it("withdraws a price with null", async () => {
    const c = await makeCommunity();
    await publishPrices(c, { member: { month: 15_000, year: 150_000 } });
    const yearly = (await activePrices(c.id)).find((p) => p.interval === "year")!;
    const body = await publishPrices(c, { member: { year: null } });
    expect(body.tiers[0].prices).toEqual({ month: { amount: 15_000, currency: "twd" }, year: null });
    expect(await stripe.prices.retrieve(yearly.stripePriceId!)).toMatchObject({ active: false });
  });

  it("checks amounts against the currency's rules: whole TWD, zero-decimal JPY, 0-ending KWD, Stripe's maximum", async () => {
    const c = await makeCommunity();
    const put = (body: unknown) => call(`/api/v1/communities/${c.slug}/billing`, { method: "PUT", as: c.owner, body });
    const twd = await put({ currency: "TWD", tiers: [{ key: "vip", month: 30_050 }] });
    expectError(twd, 400, "validation_failed");
    expect(twd.body.error.issues).toEqual([expect.objectContaining({ path: "tiers.vip.month", code: "amount_invalid", message: expect.stringContaining("whole TWD") })]);
    expectError(await put({ currency: "kwd", tiers: [{ key: "vip", month: 5_005 }] }), 400, "validation_failed");
    expectError(await put({ currency: "usd", tiers: [{ key: "vip", month: 100_000_000 }] }), 400, "validation_failed");
    expectError(await put({ currency: "usd", tiers: [{ key: "vip", month: 0 }] }), 400, "validation_failed");
    expectError(await put({ currency: "usd", tiers: [{ key: "vip", month: 12.5 }] }), 400, "validation_failed");
    expect(await activePrices(c.id).then((rows) => rows.filter((r) => r.stripePriceId))).toEqual([]);
    const jpy = await publishPrices(c, { vip: { month: 500 } }, {}, "JPY");
    expect(jpy.tiers[1].prices.month).toEqual({ amount: 500, currency: "jpy" });
  });

  it("a currency change needs the new amounts for the prices on sale", async () => {
    const c = await makeCommunity();
    await publishPrices(c, { member: { month: 15_000 } });
    const res = await call(`/api/v1/communities/${c.slug}/billing`, { method: "PUT", as: c.owner, body: { currency: "usd" } });
    expectError(res, 400, "validation_failed");
    expect(res.body.error.issues[0]).toMatchObject({ path: "tiers.member.month", code: "amount_required" });
    const body = await publishPrices(c, { member: { month: 500 } }, {}, "usd");
    expect(body.settings.currency).toBe("usd");
    expect(body.tiers[0].prices.month).toEqual({ amount: 500, currency: "usd" });
  });

  it("answers 502 stripe_unavailable and changes nothing when Stripe cannot be reached", async () => {
    const c = await makeCommunity();
    await publishPrices(c, { member: { month: 15_000 } });
    const before = await pricesOf(c.id);
    const res = await callWith({ STRIPE_API_BASE: "http://127.0.0.1:1" }, `/api/v1/communities/${c.slug}/billing`, c.owner, {
      method: "PUT",
      body: { graceDays: 30, tiers: [{ key: "member", month: 18_000 }] },
    });
    expect(res.status).toBe(502);
    expect(res.body.error.code).toBe("stripe_unavailable");
    expect(await pricesOf(c.id)).toEqual(before);
    expect((await call(`/api/v1/communities/${c.slug}/billing`, { as: c.owner })).body.settings.graceDays).toBe(7);
  });

  it("two saves at once leave one active price per tier and interval, in D1 and in Stripe", async () => {
    const c = await makeCommunity();
    await publishPrices(c, { vip: { month: 30_000 } });
    const put = (amount: number) => call(`/api/v1/communities/${c.slug}/billing`, { method: "PUT", as: c.owner, body: { tiers: [{ key: "vip", month: amount }] } });
    const answers = await Promise.all([put(31_000), put(32_000), put(33_000)]);
    for (const a of answers) expect([200, 409]).toContain(a.status);
    for (const a of answers.filter((x) => x.status === 409)) expect(a.body.error.code).toBe("billing_changed");
    const active = await activePrices(c.id);
    expect(active).toHaveLength(1);
    const [tier] = await db().select().from(schema.tiers).where(and(eq(schema.tiers.communityId, c.id), eq(schema.tiers.key, "vip")));
    const onSale = await stripe.prices.list({ product: tier.stripeProductId!, active: true });
    expect(onSale.data.map((p) => p.id)).toEqual([active[0].stripePriceId]);
  });
});
