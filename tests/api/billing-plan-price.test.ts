// What the member's plan says they pay (issue 14 tester finding 7): GET /billing/me's `amount` is
// the price per interval after their recurring discounts — the same computation as the revenue's
// MRR (billing/settle.ts intervalCharge) — with `listAmount` when a discount makes it differ.
// WELCOME10 is the stand-in's promotion code: 10 % off, forever.
import { describe, expect, it } from "vitest";
import { createWorkerApp } from "../../workers/server";
import { addMember, env, makeCommunity, type TestCommunity } from "../community-fixtures";
import { checkoutWithCode, control, customerFor, deliverAll, makePrice, stripe, subscribe, subscriptionRow } from "../billing-fixtures";
import { call, ORIGIN, type TestUser } from "../helpers";

const planOf = async (c: TestCommunity, member: TestUser) => {
  const res = await call(`/api/v1/communities/${c.slug}/billing/me`, { as: member });
  expect(res.status).toBe(200);
  return res.body.subscription;
};

/** What the stand-in's latest invoice for a subscription charged (minor units, after discounts). */
const invoiced = async (subscriptionId: string) => {
  const sub = await stripe.subscriptions.retrieve(subscriptionId, { expand: ["latest_invoice"] });
  return (sub.latest_invoice as { total: number }).total;
};


describe("the member's plan price after discounts", () => {
  it("a 10 % forever code on EUR 14.99 a month: billing/me says 13.49 (what the invoice charged) and the list price 14.99; revenue counts the same 13.49", async () => {
    const c = await makeCommunity();
    const member = await addMember(c);
    const vip = await makePrice(c, "vip", 1499, "month", "eur");
    const { subscriptionId } = await checkoutWithCode(c, member, "vip", vip, "WELCOME10");
    await deliverAll(subscriptionId);
    expect(await invoiced(subscriptionId)).toBe(1349);
    expect(await planOf(c, member)).toMatchObject({ tier: "vip", status: "active", interval: "month", amount: 1349, listAmount: 1499, currency: "eur" });
    const revenue = await call(`/api/v1/communities/${c.slug}/revenue`, { as: c.owner });
    expect(revenue.body.mrr).toEqual([{ tier: "vip", currency: "eur", amount: 1349 }]);
  });

  it("a yearly plan with the code: the exact yearly invoice amount (149.90 − 14.99 = 134.91), not twelve rounded months", async () => {
    const c = await makeCommunity();
    const member = await addMember(c);
    const yearly = await makePrice(c, "member", 14_990, "year", "eur");
    const { subscriptionId } = await checkoutWithCode(c, member, "member", yearly, "WELCOME10");
    await deliverAll(subscriptionId);
    expect(await invoiced(subscriptionId)).toBe(13_491);
    expect(await planOf(c, member)).toMatchObject({ interval: "year", amount: 13_491, listAmount: 14_990 });
    // MRR is the same charge spread over twelve months
    expect((await subscriptionRow(subscriptionId)).mrr).toBe(1124);
  });

  it("a trial that started with the code says what will be charged when it ends, after the discount", async () => {
    const c = await makeCommunity();
    const member = await addMember(c);
    const vip = await makePrice(c, "vip", 1499, "month", "eur");
    // a checkout with a trial and a promotion code, paid: the trial starts with the discount attached
    const { subscriptionId } = await checkoutWithCode(c, member, "vip", vip, "WELCOME10", { trialDays: 7 });
    await deliverAll(subscriptionId);
    expect(await planOf(c, member)).toMatchObject({ status: "trialing", amount: 1349, listAmount: 1499 });
  });

  it("without a discount: amount is the list price and listAmount is null", async () => {
    const c = await makeCommunity();
    const member = await addMember(c);
    const vip = await makePrice(c, "vip", 1499, "month", "eur");
    await deliverAll((await subscribe(c, member, "vip", vip)).id);
    expect(await planOf(c, member)).toMatchObject({ amount: 1499, listAmount: null });
  });

  it("while Stripe cannot be reached, the plan still opens with the discounted amount from the stored rows", async () => {
    const c = await makeCommunity();
    const member = await addMember(c);
    const vip = await makePrice(c, "vip", 1499, "month", "eur");
    await deliverAll((await checkoutWithCode(c, member, "vip", vip, "WELCOME10")).subscriptionId);
    const res = await createWorkerApp().request(
      `${ORIGIN}/api/v1/communities/${c.slug}/billing/me`,
      { headers: { Origin: ORIGIN, Cookie: member.cookie } },
      { ...env, STRIPE_API_BASE: "http://127.0.0.1:1" },
    );
    expect(res.status).toBe(200);
    expect(((await res.json()) as { subscription: unknown }).subscription).toMatchObject({ amount: 1349, listAmount: 1499 });
  });
});
