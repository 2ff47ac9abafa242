// Buying is joining (ADR 037 addendum, issue 14 point 2): from a community's published pricing
// page — a private community's too — someone who is not a member checks out and becomes a member
// when the purchase completes; never someone banned, never where pricing is unpublished, and a
// later event of the subscription never brings back someone who left since.
import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { schema } from "../../workers/db/client";
import { db, expectError, makeCommunity } from "../community-fixtures";
import { call, createUser } from "../helpers";
import { drainEvents } from "../queue-fixtures";
import { checkoutAsStored, deliver, deliverAll, eventsOf, lastEvent, payAt, publishPrices } from "../billing-fixtures";

const publish = (c: Awaited<ReturnType<typeof makeCommunity>>) => call(`/api/v1/communities/${c.slug}/pricing`, { method: "PATCH", as: c.owner, body: { published: true } });
const membershipOf = async (communityId: string, userId: string) =>
  (await db().select().from(schema.memberships).where(and(eq(schema.memberships.communityId, communityId), eq(schema.memberships.userId, userId))))[0];

/** Checkout as `who` and press Pay: the session id and its subscription's id. */
async function buy(slug: string, who: Awaited<ReturnType<typeof createUser>>) {
  const started = await call(`/api/v1/communities/${slug}/checkout`, { as: who, body: { tier: "vip", interval: "month" } });
  expect(started.status, JSON.stringify(started.body)).toBe(200);
  const location = await payAt(started.body.url);
  const sessionId = new URL(location!).searchParams.get("session_id")!;
  const stored = await checkoutAsStored(sessionId);
  return { sessionId, subscriptionId: stored.session.subscription as string };
}

describe("buying is joining", () => {
  it("lets a stranger buy from a private community's published pricing page and makes them a member when the purchase completes", async () => {
    const c = await makeCommunity({ visibility: "private" });
    await publishPrices(c, { vip: { month: 30000 } });
    const stranger = await createUser();
    // not published yet: the community does not exist for them
    expectError(await call(`/api/v1/communities/${c.slug}/checkout`, { as: stranger, body: { tier: "vip", interval: "month" } }), 404, "not_found");
    expect((await publish(c)).status).toBe(200);
    const { sessionId, subscriptionId } = await buy(c.slug, stranger);
    // paid, the webhook not landed: not a member yet, and the checkout poll answers them alone
    expect(await membershipOf(c.id, stranger.id)).toBeUndefined();
    expect((await call(`/api/v1/communities/${c.slug}/billing/checkout/${sessionId}`, { as: stranger })).body.state).toBe("waiting");
    await deliverAll(subscriptionId);
    expect(await membershipOf(c.id, stranger.id)).toMatchObject({ status: "active", role: "member", source: "pricing", paidTier: "vip" });
    expect((await call(`/api/v1/communities/${c.slug}/billing/checkout/${sessionId}`, { as: stranger })).body.state).toBe("done");
    expect((await call(`/api/v1/communities/${c.slug}`, { as: stranger })).status).toBe(200);
  });

  it("refuses someone banned (404), and a later event never brings back a buyer who left", async () => {
    const c = await makeCommunity({ visibility: "public" });
    await publishPrices(c, { vip: { month: 30000 } });
    expect((await publish(c)).status).toBe(200);
    const banned = await createUser();
    expect((await call(`/api/v1/communities/${c.slug}/bans`, { as: c.owner, body: { userId: banned.id, reason: "spam" } })).status).toBe(201);
    expectError(await call(`/api/v1/communities/${c.slug}/checkout`, { as: banned, body: { tier: "vip", interval: "month" } }), 404, "not_found");

    const buyer = await createUser();
    const { subscriptionId } = await buy(c.slug, buyer);
    await deliverAll(subscriptionId);
    expect((await membershipOf(c.id, buyer.id)).status).toBe("active");
    const before = (await eventsOf(subscriptionId)).length;
    expect((await call(`/api/v1/communities/${c.slug}/leave`, { as: buyer, method: "POST" })).status).toBeLessThan(300);
    // leaving cancels at period end: Stripe sends customer.subscription.updated (still active)
    await drainEvents();
    const later = (await eventsOf(subscriptionId)).slice(before);
    expect(later.map((e) => e.type)).toContain("customer.subscription.updated");
    await deliver(...later);
    // and the completed checkout delivered again is a replay: no effect
    await deliver(await lastEvent(subscriptionId, "checkout.session.completed"));
    expect((await membershipOf(c.id, buyer.id)).status).toBe("left");
  });
});
