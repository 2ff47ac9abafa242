// Price sync after a save (issue 14 tester findings 12 and 13): the lookup key ends on the Price D1
// holds active whoever won a race, the loser's Price archived; and a replaced or withdrawn price
// stops selling — its open checkouts are expired — while a checkout paid before the change is honoured;
// a price replaced through PATCH …/tiers/:key stops selling at Stripe too (second tester's finding).
import { and, eq } from "drizzle-orm";
import type Stripe from "stripe";
import { describe, expect, it } from "vitest";
import { schema } from "../../workers/db/client";
import { loadCommunityAccess, type MemberAccess } from "../../workers/domain/access";
import { Reader } from "../../workers/domain/auth/reader";
import { lookupKeyOf, publishBilling } from "../../workers/billing/catalog";
import { addMember, db, env, makeCommunity, type TestCommunity } from "../community-fixtures";
import { call, ORIGIN, type TestUser } from "../helpers";
import { createWorkerApp } from "../../workers/server";
import { checkoutAsStored, deliverAll, payAt, publishPrices, standIn, stripe, subscriptionRow } from "../billing-fixtures";

const activeRow = async (c: TestCommunity, tier: "member" | "vip", interval: "month" | "year") =>
  (
    await db()
      .select()
      .from(schema.prices)
      .where(and(eq(schema.prices.communityId, c.id), eq(schema.prices.tierKey, tier), eq(schema.prices.interval, interval), eq(schema.prices.active, true)))
  )[0];
const holdersOf = async (key: string) => (await stripe.prices.list({ lookup_keys: [key], limit: 10 })).data;
const ownerAccess = async (c: TestCommunity) => (await loadCommunityAccess(env, c.slug, Reader.of(env, c.owner.id))) as MemberAccess;

/** The SDK, except that `beforeCreate` runs before each Price is created: the other owner's save lands in that gap. */
function stripeWithGap(beforeCreate: () => Promise<void>): Stripe {
  const prices = Object.create(stripe.prices) as Stripe["prices"];
  prices.create = (async (...args: Parameters<Stripe["prices"]["create"]>) => {
    await beforeCreate();
    return stripe.prices.create(...args);
  }) as Stripe["prices"]["create"];
  const sdk = Object.create(stripe) as Stripe;
  Object.defineProperty(sdk, "prices", { value: prices });
  return sdk;
}

describe("lookup keys after two owners save at once", () => {
  it("the loser's Price is archived and the lookup key sits on the winner's active Price, the one D1 holds", async () => {
    const c = await makeCommunity();
    await publishPrices(c, { member: { month: 15_000 } });
    const key = lookupKeyOf(c.id, "member", "month");
    // owner B loaded the catalog; while B talks to Stripe, owner A saves 10,000 from start to end;
    // then B creates its Price (taking the key, as transfer_lookup_key does) and loses in D1
    let winner: { status: number } | null = null;
    const loser = publishBilling(
      env,
      stripeWithGap(async () => {
        winner ??= await call(`/api/v1/communities/${c.slug}/billing`, { method: "PUT", as: c.owner, body: { tiers: [{ key: "member", month: 10_000 }] } });
      }),
      await ownerAccess(c),
      { tiers: [{ key: "member", month: 20_000 }] },
    );
    await expect(loser).rejects.toMatchObject({ status: 409, code: "billing_changed" });
    expect(winner).toMatchObject({ status: 200 });

    const active = await activeRow(c, "member", "month");
    expect(active.amount).toBe(10_000);
    expect(await stripe.prices.retrieve(active.stripePriceId!)).toMatchObject({ active: true, unit_amount: 10_000, lookup_key: key });
    // exactly one Price holds the key: the active one
    expect((await holdersOf(key)).map((p) => p.id)).toEqual([active.stripePriceId]);
    // the loser's 20,000 Price exists in Stripe, archived and without the key
    const [tier] = await db().select().from(schema.tiers).where(and(eq(schema.tiers.communityId, c.id), eq(schema.tiers.key, "member")));
    const losers = (await stripe.prices.list({ product: tier.stripeProductId!, limit: 100 })).data.filter((p) => p.unit_amount === 20_000);
    expect(losers).toHaveLength(1);
    expect(losers[0]).toMatchObject({ active: false, lookup_key: null });
  });

  it("a plain save moves the key to the new Price; a withdrawn price leaves no active Price holding it", async () => {
    const c = await makeCommunity();
    await publishPrices(c, { vip: { year: 300_000 } });
    const key = lookupKeyOf(c.id, "vip", "year");
    await publishPrices(c, { vip: { year: 320_000 } });
    const active = await activeRow(c, "vip", "year");
    expect((await holdersOf(key)).map((p) => [p.id, p.active])).toEqual([[active.stripePriceId, true]]);
    await publishPrices(c, { vip: { year: null } });
    expect((await holdersOf(key)).filter((p) => p.active)).toEqual([]);
  });
});

describe("open checkouts of a replaced or withdrawn price", () => {
  const checkout = async (c: TestCommunity, who: TestUser, tier: "member" | "vip") => {
    const res = await call(`/api/v1/communities/${c.slug}/checkout`, { as: who, body: { tier, interval: "month" } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return { url: res.body.url as string, id: (res.body.url as string).split("/checkout/")[1] };
  };
  const statusOf = async (sessionId: string) => (await checkoutAsStored(sessionId)).session.status;
  const payControl = (sessionId: string) => standIn(`/_stand-in/checkout/${sessionId}/pay`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });

  it("replacing a price expires the checkouts open for it (they can no longer be paid); other prices' checkouts stay open", async () => {
    const c = await makeCommunity();
    await publishPrices(c, { member: { month: 15_000 }, vip: { month: 30_000 } });
    const [vipBuyer, memberBuyer] = [await addMember(c), await addMember(c)];
    const vipSession = await checkout(c, vipBuyer, "vip");
    const memberSession = await checkout(c, memberBuyer, "member");

    await publishPrices(c, { vip: { month: 40_000 } });
    expect(await statusOf(vipSession.id)).toBe("expired");
    expect((await payControl(vipSession.id)).status).toBe(400);
    expect(await statusOf(memberSession.id)).toBe("open");

    // the member starts again and is sold the new price
    const again = await checkout(c, vipBuyer, "vip");
    expect((await checkoutAsStored(again.id)).params.line_items[0].price).toBe((await activeRow(c, "vip", "month")).stripePriceId);
  });

  it("withdrawing a price expires the checkouts open for it", async () => {
    const c = await makeCommunity();
    await publishPrices(c, { vip: { month: 30_000, year: 300_000 } });
    const buyer = await addMember(c);
    const session = await checkout(c, buyer, "vip");
    await publishPrices(c, { vip: { month: null } });
    expect(await statusOf(session.id)).toBe("expired");
  });

  it("a checkout paid just before the price changed is honoured at the price paid when its webhook lands after the change", async () => {
    const c = await makeCommunity();
    await publishPrices(c, { vip: { month: 30_000 } });
    const bought = await activeRow(c, "vip", "month");
    const buyer = await addMember(c);
    const session = await checkout(c, buyer, "vip");
    await payAt(session.url);
    await publishPrices(c, { vip: { month: 40_000 } });
    await publishPrices(c, { vip: { month: null } });
    const subscriptionId = (await checkoutAsStored(session.id)).session.subscription as string;
    await deliverAll(subscriptionId);
    expect(await subscriptionRow(subscriptionId)).toMatchObject({ status: "active", tierKey: "vip", priceId: bought.id, mrr: 30_000 });
    const me = await call(`/api/v1/communities/${c.slug}/billing/me`, { as: buyer });
    expect(me.body).toMatchObject({ tier: "vip", subscription: { status: "active", amount: 30_000, listAmount: null } });
  });
});

describe("a price changed through PATCH …/tiers/:key (the older tier route)", () => {
  const checkout = async (c: TestCommunity, who: TestUser) => {
    const res = await call(`/api/v1/communities/${c.slug}/checkout`, { as: who, body: { tier: "vip", interval: "month" } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return (res.body.url as string).split("/checkout/")[1];
  };
  const patchVip = (c: TestCommunity, amount: number, currency = "twd") =>
    call(`/api/v1/communities/${c.slug}/tiers/vip`, { method: "PATCH", as: c.owner, body: { prices: [{ interval: "month", amount, currency }] } });

  it("archives the replaced Stripe Price with its D1 row and expires the checkouts open for it, so the old amount no longer sells", async () => {
    const c = await makeCommunity();
    await publishPrices(c, { vip: { month: 30_000, year: 300_000 } });
    const sold = await activeRow(c, "vip", "month");
    const yearly = await activeRow(c, "vip", "year");
    const buyer = await addMember(c);
    const open = await checkout(c, buyer);

    expect((await patchVip(c, 40_000)).status).toBe(200);
    expect(await stripe.prices.retrieve(sold.stripePriceId!)).toMatchObject({ active: false });
    expect((await checkoutAsStored(open)).session.status).toBe("expired");
    // the new amount has no Stripe Price until the owner publishes: nothing sells the old one meanwhile
    expect(await activeRow(c, "vip", "month")).toMatchObject({ amount: 40_000, stripePriceId: null });
    const refused = await call(`/api/v1/communities/${c.slug}/checkout`, { as: buyer, body: { tier: "vip", interval: "month" } });
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe("price_not_published");
    // the interval it did not name keeps selling
    expect(await stripe.prices.retrieve(yearly.stripePriceId!)).toMatchObject({ active: true });
  });

  it("the same amount in another letter case is no change: the Price stays on sale and its checkout open", async () => {
    const c = await makeCommunity();
    await publishPrices(c, { vip: { month: 30_000 } });
    const sold = await activeRow(c, "vip", "month");
    const open = await checkout(c, await addMember(c));
    expect((await patchVip(c, 30_000, "TWD")).status).toBe(200);
    expect(await activeRow(c, "vip", "month")).toMatchObject({ id: sold.id, stripePriceId: sold.stripePriceId });
    expect(await stripe.prices.retrieve(sold.stripePriceId!)).toMatchObject({ active: true });
    expect((await checkoutAsStored(open)).session.status).toBe("open");
  });

  it("when Stripe cannot archive the Price, nothing is saved: 502 and the old price still sells", async () => {
    const c = await makeCommunity();
    await publishPrices(c, { vip: { month: 30_000 } });
    const sold = await activeRow(c, "vip", "month");
    const res = await createWorkerApp().request(
      `${ORIGIN}/api/v1/communities/${c.slug}/tiers/vip`,
      { method: "PATCH", headers: { Origin: ORIGIN, Cookie: c.owner.cookie, "Content-Type": "application/json" }, body: JSON.stringify({ prices: [{ interval: "month", amount: 40_000, currency: "twd" }] }) },
      // a Stripe nobody answers at
      { ...env, STRIPE_API_BASE: "http://127.0.0.1:9" },
    );
    expect(res.status).toBe(502);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("stripe_unavailable");
    expect(await activeRow(c, "vip", "month")).toMatchObject({ id: sold.id, amount: 30_000 });
    expect(await stripe.prices.retrieve(sold.stripePriceId!)).toMatchObject({ active: true });
  });
});
