// What billing reads back (ADR 037): the owner's revenue from stored rows, and the success page's
// checkout state. Subscriptions are made in the Stripe stand-in and settled by their webhooks.
import { env } from "cloudflare:workers";
import { and, eq, ne } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { getDb, schema } from "../../workers/db/client";
import { addMember, expectError, makeCommunity } from "../community-fixtures";
import { call, createUser } from "../helpers";
import { checkoutWithCode, deliverAll, lastEvent, deliver, makePrice, stripe, subscribe } from "../billing-fixtures";

const DAY = 86_400_000;
const thisMonth = () => new Date().toISOString().slice(0, 7);

describe("revenue", () => {
  it("counts MRR monthly-normalised after discounts, trialing excluded; counts, churn, upgrade rate and history", async () => {
    const community = await makeCommunity();
    const admin = await addMember(community, { role: "admin" });
    const [monthly, yearly, discounted, trial, churned] = await Promise.all([1, 2, 3, 4, 5].map(() => addMember(community)));
    await addMember(community); // stays free
    const vip = await makePrice(community, "vip", 1000);
    const memberYear = await makePrice(community, "member", 12_000, "year");

    const subs = [
      await subscribe(community, monthly, "vip", vip),
      await subscribe(community, yearly, "member", memberYear),
      await subscribe(community, trial, "vip", vip, { trialDays: 14 }),
      await subscribe(community, churned, "vip", vip),
    ];
    // WELCOME10: the stand-in's promotion code, 10 % off forever
    const withCode = await checkoutWithCode(community, discounted, "vip", vip, "WELCOME10");
    for (const id of [...subs.map((s) => s.id), withCode.subscriptionId]) await deliverAll(id);
    await stripe.subscriptions.cancel(subs[3].id);
    await deliver(await lastEvent(subs[3].id, "customer.subscription.deleted"));
    // everyone but the owner joined two months ago (it makes no difference: joining time is not a condition)
    const m = schema.memberships;
    await getDb(env)
      .update(m)
      .set({ joinedAt: new Date(Date.now() - 60 * DAY) })
      .where(and(eq(m.communityId, community.id), ne(m.role, "owner")));

    const res = await call(`/api/v1/communities/${community.slug}/revenue`, { as: community.owner });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      currency: "usd",
      // 12,000 a year is 1,000 a month; 1,000 + 900 (10 % off); the trial pays nothing yet
      mrr: [
        { tier: "member", currency: "usd", amount: 1000 },
        { tier: "vip", currency: "usd", amount: 1900 },
      ],
      subscribers: { active: 3, trialing: 1, pastDue: 0 },
      newThisMonth: 5,
      churnedThisMonth: 1,
      // free-to-paid over 30 days: 5 of 6 (five who subscribed, one who stayed free; the admin
      // sees every tier already and is not counted)
      upgradeRate: 0.8333,
    });
    expect(res.body.history).toHaveLength(6);
    expect(res.body.history[5]).toEqual({ month: thisMonth(), mrr: 2900 });
    expect(res.body.history.slice(0, 5).map((h: { mrr: number }) => h.mrr)).toEqual([0, 0, 0, 0, 0]);

    expectError(await call(`/api/v1/communities/${community.slug}/revenue`, { as: admin }), 403, "forbidden");
    expectError(await call(`/api/v1/communities/${community.slug}/revenue`, { as: monthly }), 403, "forbidden");
    expectError(await call(`/api/v1/communities/${community.slug}/revenue`, { as: await createUser() }), 404, "not_found");
    expectError(await call(`/api/v1/communities/${community.slug}/revenue`), 401, "unauthenticated");
  });

  it("charts this month at the MRR figure: a plan active before its stored trial end counts in both (third tester's 180,000 vs 210,000)", async () => {
    const community = await makeCommunity();
    const [early, plain] = [await addMember(community), await addMember(community)];
    const vip = await makePrice(community, "vip", 1000);
    const subs = [await subscribe(community, early, "vip", vip), await subscribe(community, plain, "vip", vip)];
    for (const sub of subs) await deliverAll(sub.id);
    // Stripe says active, the stored trial end is still ahead (a trial ended early by renewal)
    await getDb(env).update(schema.subscriptions).set({ trialEnd: new Date(Date.now() + 5 * DAY) }).where(eq(schema.subscriptions.id, subs[0].id));
    const res = await call(`/api/v1/communities/${community.slug}/revenue`, { as: community.owner });
    expect(res.body.mrr).toEqual([{ tier: "vip", currency: "usd", amount: 2000 }]);
    expect(res.body.history[5]).toEqual({ month: thisMonth(), mrr: 2000 });
    expect(res.body.historyByCurrency[0].history[5].mrr).toBe(2000);
  });

  it("gives a new community a real upgrade rate: members who joined today, three free and one who upgraded", async () => {
    const community = await makeCommunity();
    await addMember(community, { role: "admin" });
    const [upgraded] = await Promise.all([1, 2, 3, 4].map(() => addMember(community)));
    const vip = await makePrice(community, "vip", 1000);
    await deliverAll((await subscribe(community, upgraded, "vip", vip)).id);
    const res = await call(`/api/v1/communities/${community.slug}/revenue`, { as: community.owner });
    // 1 of 4: the owner and the admin are not in the base
    expect(res.body.upgradeRate).toBe(0.25);
  });

  it("leaves out of the base a member paying since before the 30 days, and counts only upgrades inside them", async () => {
    const community = await makeCommunity();
    const [longPaying, recent] = await Promise.all([1, 2].map(() => addMember(community)));
    await addMember(community); // stays free
    const vip = await makePrice(community, "vip", 1000);
    const old = await subscribe(community, longPaying, "vip", vip);
    await deliverAll(old.id);
    await deliverAll((await subscribe(community, recent, "vip", vip)).id);
    await getDb(env).update(schema.subscriptions).set({ createdAt: new Date(Date.now() - 45 * DAY) }).where(eq(schema.subscriptions.id, old.id));
    const res = await call(`/api/v1/communities/${community.slug}/revenue`, { as: community.owner });
    // the one who upgraded and the one who stayed free are the base; the long-paying member was never free in the window
    expect(res.body.upgradeRate).toBe(0.5);
  });

  it("answers null for the upgrade rate with nobody to upgrade, and zeros without subscriptions", async () => {
    const community = await makeCommunity();
    const res = await call(`/api/v1/communities/${community.slug}/revenue`, { as: community.owner });
    expect(res.body).toMatchObject({ mrr: [], subscribers: { active: 0, trialing: 0, pastDue: 0 }, newThisMonth: 0, churnedThisMonth: 0, upgradeRate: null });
  });
});

describe("checkout state", () => {
  it("is waiting until the webhook lands, then done; only for the session's own user", async () => {
    const community = await makeCommunity();
    const member = await addMember(community);
    const vip = await makePrice(community, "vip", 1000);
    const { sessionId, subscriptionId } = await checkoutWithCode(community, member, "vip", vip, "WELCOME10");
    const path = `/api/v1/communities/${community.slug}/billing/checkout/${sessionId}`;
    expect((await call(path, { as: member })).body).toEqual({ state: "waiting", tier: "vip" });
    expectError(await call(path, { as: community.owner }), 404, "not_found");
    await deliverAll(subscriptionId);
    expect((await call(path, { as: member })).body).toEqual({ state: "done", tier: "vip" });
    expectError(await call(path, { as: await createUser() }), 404, "not_found");
    expectError(await call(`/api/v1/communities/${community.slug}/billing/checkout/cs_made_up`, { as: member }), 404, "not_found");
  });

  it("shows a member without a subscription their tiers and no plan", async () => {
    const community = await makeCommunity();
    const member = await addMember(community, { paidTier: "free" });
    const me = await call(`/api/v1/communities/${community.slug}/billing/me`, { as: member });
    expect(me.body).toEqual({ subscription: null, paidTier: "free", compTier: null, tier: "free", checkoutRefusal: null, trialEligible: true });
  });
});
