// A webhook missed while the app was down (issue 14 tester finding 11). The stand-in retries a
// failed delivery with backoff, as Stripe does; and the success page's poll settles a checkout
// Stripe reports complete once its webhook is late, through the webhook's own settle path — the
// webhook arriving afterwards changes nothing.
import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { schema } from "../../workers/db/client";
import { CATCH_UP_AFTER_MS, readCheckoutState } from "../../workers/billing/reads";
import { db, env, makeCommunity, type TestCommunity } from "../community-fixtures";
import { call, createUser, type TestUser } from "../helpers";
import { checkoutAsStored, control, eventsOf, payAt, postWebhook, publishPrices, standIn, subscriptionRow, tierChanges } from "../billing-fixtures";

const membershipOf = async (c: TestCommunity, user: TestUser) =>
  (await db().select().from(schema.memberships).where(and(eq(schema.memberships.communityId, c.id), eq(schema.memberships.userId, user.id))))[0];
const joinAudits = async (c: TestCommunity, user: TestUser) =>
  (await db().select().from(schema.auditLog).where(and(eq(schema.auditLog.communityId, c.id), eq(schema.auditLog.action, "member.join"), eq(schema.auditLog.targetId, user.id)))).length;

/** A priced community with a published pricing page. */
async function pricedCommunity() {
  const c = await makeCommunity({ visibility: "public" });
  await publishPrices(c, { vip: { month: 30_000 } });
  expect((await call(`/api/v1/communities/${c.slug}/pricing`, { method: "PATCH", as: c.owner, body: { published: true } })).status).toBe(200);
  return c;
}

/** Checkout through the API as `who`, then Pay on the stand-in's page; no webhook is delivered (the app was down). */
async function buyWhileDown(c: TestCommunity, who: TestUser) {
  const started = await call(`/api/v1/communities/${c.slug}/checkout`, { as: who, body: { tier: "vip", interval: "month" } });
  expect(started.status, JSON.stringify(started.body)).toBe(200);
  const sessionId = new URL((await payAt(started.body.url))!).searchParams.get("session_id")!;
  const subscriptionId = (await checkoutAsStored(sessionId)).session.subscription as string;
  return { sessionId, subscriptionId };
}

/** The success page's poll, `lateBy` ms after the webhook was due. */
const poll = (c: TestCommunity, who: TestUser, sessionId: string, lateBy = 0) => readCheckoutState(env, c.slug, who.id, sessionId, Date.now() + lateBy);

describe("catch-up: the success page's poll settles a checkout whose webhook never came", () => {
  it("waits for the webhook at first, then settles the paid subscription itself; the webhook arriving later changes nothing", async () => {
    const c = await pricedCommunity();
    const buyer = await createUser();
    const { sessionId, subscriptionId } = await buyWhileDown(c, buyer);
    // just paid: the webhook normally lands within seconds, so the poll leaves it to the webhook
    expect(await poll(c, buyer, sessionId)).toEqual({ state: "waiting", tier: "vip" });
    expect(await subscriptionRow(subscriptionId)).toBeUndefined();

    // the webhook is late: the poll asks Stripe and settles what Stripe holds
    expect(await poll(c, buyer, sessionId, CATCH_UP_AFTER_MS + 1_000)).toEqual({ state: "done", tier: "vip" });
    const settled = await subscriptionRow(subscriptionId);
    expect(settled).toMatchObject({ status: "active", tierKey: "vip", userId: buyer.id, checkoutSessionId: sessionId, mrr: 30_000 });
    // bought from the pricing page: buying is joining, as the webhook would have done it
    expect(await membershipOf(c, buyer)).toMatchObject({ status: "active", source: "pricing", paidTier: "vip" });
    expect(await tierChanges(c, buyer)).toBe(1);
    expect(await joinAudits(c, buyer)).toBe(1);
    // the route answers done from the stored row from now on
    expect((await call(`/api/v1/communities/${c.slug}/billing/checkout/${sessionId}`, { as: buyer })).body).toEqual({ state: "done", tier: "vip" });

    // the app is back: Stripe's retries deliver every event; each is processed (not a replay) and changes nothing
    const { joinedAt } = await membershipOf(c, buyer);
    for (const event of await eventsOf(subscriptionId)) {
      const res = await postWebhook(event.payload);
      expect(res.status, event.type).toBe(200);
      expect(res.body).toEqual({ received: true, duplicate: false });
    }
    const { updatedAt: _a, ...before } = settled;
    const { updatedAt: _b, ...after } = await subscriptionRow(subscriptionId);
    expect(after).toEqual(before);
    expect(await membershipOf(c, buyer)).toMatchObject({ status: "active", paidTier: "vip", joinedAt });
    expect(await tierChanges(c, buyer)).toBe(1);
    expect(await joinAudits(c, buyer)).toBe(1);
  });

  it("answers 404 to anyone but the buyer even when the checkout is late, and settles nothing for them", async () => {
    const c = await pricedCommunity();
    const buyer = await createUser();
    const { sessionId, subscriptionId } = await buyWhileDown(c, buyer);
    const other = await createUser();
    await expect(poll(c, other, sessionId, CATCH_UP_AFTER_MS + 1_000)).rejects.toMatchObject({ status: 404, code: "not_found" });
    expect(await subscriptionRow(subscriptionId)).toBeUndefined();
  });

  it("leaves an open (unpaid) checkout waiting, however long", async () => {
    const c = await pricedCommunity();
    const buyer = await createUser();
    const started = await call(`/api/v1/communities/${c.slug}/checkout`, { as: buyer, body: { tier: "vip", interval: "month" } });
    const sessionId = started.body.url.split("/checkout/")[1];
    expect(await poll(c, buyer, sessionId, 3_600_000)).toEqual({ state: "waiting", tier: "vip" });
  });
});

describe("the stand-in retries a failed webhook delivery with backoff, as Stripe does", () => {
  /** A recorded event to send around: one checkout.session.completed of a fresh payment. */
  async function someEvent() {
    const c = await pricedCommunity();
    const { subscriptionId } = await buyWhileDown(c, await createUser());
    return (await eventsOf(subscriptionId, "checkout.session.completed"))[0];
  }
  const deliveriesOf = async (eventId: string, subscriptionId: string) =>
    ((await control(`/_stand-in/events?subscription=${subscriptionId}`)).data as Array<{ id: string; deliveries: Array<{ status: number | null; nextRetryAt: number | null }> }>).find((e) => e.id === eventId)!.deliveries;
  const until = async (check: () => Promise<boolean>, ms = 5_000) => {
    for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 50))) if (await check()) return;
    throw new Error("timed out");
  };

  it("tries again after each wait until the endpoint answers 2xx, then stops", async () => {
    const event = await someEvent();
    const subscriptionId = JSON.parse(event.payload).data.object.subscription as string;
    // an endpoint that is down for the first two tries (503), then up
    const url = `${env.STRIPE_API_BASE}/_stand-in/sink/${event.id}?fail=2`;
    const first = await control(`/_stand-in/events/${event.id}/deliver`, { url, retryDelaysMs: [100, 100, 100, 100] });
    expect(first.delivery).toMatchObject({ status: 503, nextRetryAt: expect.any(Number) });
    await until(async () => (await deliveriesOf(event.id, subscriptionId)).some((d) => d.status === 200));
    await new Promise((r) => setTimeout(r, 400));
    const deliveries = await deliveriesOf(event.id, subscriptionId);
    expect(deliveries.map((d) => d.status)).toEqual([503, 503, 200]);
    expect(deliveries[2].nextRetryAt).toBeNull();
    expect((await (await standIn(`/_stand-in/sink/${event.id}`)).json())).toEqual({ received: 3 });
  });

  it("gives up after the last wait when the endpoint never answers", async () => {
    const event = await someEvent();
    const subscriptionId = JSON.parse(event.payload).data.object.subscription as string;
    await control(`/_stand-in/events/${event.id}/deliver`, { url: `${env.STRIPE_API_BASE}/_stand-in/sink/${event.id}?fail=99`, retryDelaysMs: [50, 50] });
    await until(async () => (await deliveriesOf(event.id, subscriptionId)).length === 3);
    await new Promise((r) => setTimeout(r, 300));
    const deliveries = await deliveriesOf(event.id, subscriptionId);
    expect(deliveries.map((d) => d.status)).toEqual([503, 503, 503]);
    expect(deliveries[2].nextRetryAt).toBeNull();
  });

  it("a manual redeliver is one send: no retries", async () => {
    const event = await someEvent();
    const subscriptionId = JSON.parse(event.payload).data.object.subscription as string;
    await control(`/_stand-in/events/${event.id}/redeliver`, { url: `${env.STRIPE_API_BASE}/_stand-in/sink/${event.id}?fail=99` });
    await new Promise((r) => setTimeout(r, 300));
    expect((await deliveriesOf(event.id, subscriptionId)).map((d) => d.status)).toEqual([503]);
  });
});
