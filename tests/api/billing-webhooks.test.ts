// Stripe webhooks (issue 14 §4, ADR 037): verified events, processed once, settled against the
// subscription as the stand-in (Stripe) holds it — grace, refunds, cancellations and erasure.
// Subscriptions live in the stand-in, made through the real SDK; events are the stand-in's,
// signed here with generateTestHeaderStringAsync.
import { env } from "cloudflare:workers";
import { and, eq } from "drizzle-orm";
import Stripe from "stripe";
import { describe, expect, it } from "vitest";
import { getDb, schema } from "../../workers/db/client";
import { settleEndedGrace } from "../../workers/domain/jobs/billing-grace";
import { processStripeEvent } from "../../workers/billing/webhook";
import { billingData } from "../../workers/billing/data-rights";
import { addMember, expectError, makeCommunity } from "../community-fixtures";
import { connected, makeChat } from "../chat-fixtures";
import { call, PASSWORD } from "../helpers";
import { drainEvents } from "../queue-fixtures";
import {
  deliver,
  deliverAll,
  eventsOf,
  lastEvent,
  makePrice,
  paidTierOf,
  postWebhook,
  callWith,
  control,
  stripe,
  subscribe,
  subscriptionRow,
  tierChanges,
} from "../billing-fixtures";

const DAY = 86_400_000;
const db = () => getDb(env);
const eventRow = async (id: string) => (await db().select().from(schema.stripeEvents).where(eq(schema.stripeEvents.id, id)))[0];

/** A community with a VIP price and a member who holds nothing yet. */
async function setting(amount = 1500) {
  const community = await makeCommunity();
  const member = await addMember(community);
  const vip = await makePrice(community, "vip", amount);
  return { community, member, vip };
}

/** setting() with a VIP chat the member has open, whose VIP subscription then failed to renew (past_due, both events delivered). */
async function pastDueInVipChat() {
  const { community, member, vip } = await setting();
  const space = await makeChat(community, { minTier: "vip" });
  const sub = await subscribe(community, member, "vip", vip);
  await deliverAll(sub.id);
  const socket = await connected(space, member);
  await control(`/_stand-in/subscriptions/${sub.id}/fail`, {});
  await deliver(await lastEvent(sub.id, "invoice.payment_failed"), await lastEvent(sub.id, "customer.subscription.updated"));
  return { community, member, sub, socket };
}

describe("webhook: verification", () => {
  it("settles a verified subscription: row, paid tier, MRR, payment intent remembered, one tier_changed", async () => {
    const { community, member, vip } = await setting(1500);
    const sub = await subscribe(community, member, "vip", vip);
    await deliverAll(sub.id);
    const row = await subscriptionRow(sub.id);
    expect(row).toMatchObject({ status: "active", tierKey: "vip", userId: member.id, mrr: 1500, interval: "month", currency: "usd", priceId: vip.id, cancelAtPeriodEnd: false });
    expect(row.currentPeriodEnd!.getTime()).toBe(sub.items.data[0].current_period_end * 1000);
    expect((await paidTierOf(community, member)).paidTier).toBe("vip");
    expect(await tierChanges(community, member)).toBe(1);
    const intents = await db().select().from(schema.stripePaymentIntents).where(eq(schema.stripePaymentIntents.subscriptionId, sub.id));
    expect(intents).toHaveLength(1);
    const me = await call(`/api/v1/communities/${community.slug}/billing/me`, { as: member });
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ paidTier: "vip", compTier: null, tier: "vip", subscription: { tier: "vip", status: "active", interval: "month", amount: 1500, currency: "usd", cancelAtPeriodEnd: false } });
  });

  it("answers 400 to a wrong or missing signature and a tampered body, and changes nothing", async () => {
    const { community, member, vip } = await setting();
    const sub = await subscribe(community, member, "vip", vip);
    const created = await lastEvent(sub.id, "customer.subscription.created");
    expectError(await postWebhook(created.payload, { secret: "whsec_someone_else" }), 400, "invalid_signature");
    expectError(await postWebhook(created.payload, { signature: null }), 400, "invalid_signature");
    // a body changed after Stripe signed it
    const signature = await Stripe.webhooks.generateTestHeaderStringAsync({ payload: created.payload, secret: env.STRIPE_WEBHOOK_SECRET, cryptoProvider: Stripe.createSubtleCryptoProvider() });
    expectError(await postWebhook(created.payload.replace(member.id, "usr_forged"), { signature }), 400, "invalid_signature");
    expect(await subscriptionRow(sub.id)).toBeUndefined();
    expect(await eventRow(created.id)).toBeUndefined();
  });

  it("is exempt from the Origin check and nothing else: a cross-site call is processed once signed, refused unsigned", async () => {
    const { community, member, vip } = await setting();
    const sub = await subscribe(community, member, "vip", vip);
    const created = await lastEvent(sub.id, "customer.subscription.created");
    const crossSite = { Origin: "https://elsewhere.example", "Sec-Fetch-Site": "cross-site" };
    expectError(await postWebhook(created.payload, { signature: null, headers: crossSite }), 400, "invalid_signature");
    const signed = await postWebhook(created.payload, { headers: crossSite });
    expect(signed.status).toBe(200);
    expect((await subscriptionRow(sub.id)).status).toBe("active");
    // the same cross-site call to any other state-changing route is refused
    expectError(await call(`/api/v1/communities/${community.slug}/leave`, { as: member, method: "POST", headers: crossSite }), 403, "forbidden");
  });

  it("answers 400 to a stale timestamp and changes nothing", async () => {
    const { community, member, vip } = await setting();
    const sub = await subscribe(community, member, "vip", vip);
    const created = await lastEvent(sub.id, "customer.subscription.created");
    const res = await postWebhook(created.payload, { timestamp: Math.floor(Date.now() / 1000) - 3600 });
    expectError(res, 400, "invalid_signature");
    // nor one signed 400 s in the future (the SDK checks only the age)
    expectError(await postWebhook(created.payload, { timestamp: Math.floor(Date.now() / 1000) + 400 }), 400, "invalid_signature");
    expect(await subscriptionRow(sub.id)).toBeUndefined();
    expect(await eventRow(created.id)).toBeUndefined();
    expect((await paidTierOf(community, member)).paidTier).toBe("free");
  });

  it("answers 400 to a signed body that is not an event", async () => {
    expectError(await postWebhook("not json at all"), 400, "invalid_body");
    expectError(await postWebhook(JSON.stringify({ hello: "world" })), 400, "invalid_body");
  });

  it("processes an event id once: a replay answers 200 with no second effect", async () => {
    const { community, member, vip } = await setting();
    const sub = await subscribe(community, member, "vip", vip);
    const created = await lastEvent(sub.id, "customer.subscription.created");
    const first = await postWebhook(created.payload);
    expect(first.body).toEqual({ received: true, duplicate: false });
    // Stripe's own state moves on; a replay of the old event must not settle again
    await stripe.subscriptions.cancel(sub.id);
    const replay = await postWebhook(created.payload);
    expect(replay.status).toBe(200);
    expect(replay.body).toEqual({ received: true, duplicate: true });
    expect((await subscriptionRow(sub.id)).status).toBe("active");
    expect((await paidTierOf(community, member)).paidTier).toBe("vip");
    expect(await tierChanges(community, member)).toBe(1);
  });

  it("answers 5xx and writes nothing when Stripe cannot be asked, so Stripe's retry settles it", async () => {
    const { community, member, vip } = await setting();
    const sub = await subscribe(community, member, "vip", vip);
    const created = await lastEvent(sub.id, "customer.subscription.created");
    // the same Worker code with Stripe unreachable (tests have no network beyond the stand-ins)
    const down = { ...env, STRIPE_API_BASE: "http://127.0.0.1:9" };
    await expect(processStripeEvent(down, JSON.parse(created.payload) as Stripe.Event)).rejects.toMatchObject({ status: 502, code: "stripe_unavailable" });
    expect(await eventRow(created.id)).toBeUndefined();
    expect(await subscriptionRow(sub.id)).toBeUndefined();
    await deliver(created);
    expect((await subscriptionRow(sub.id)).status).toBe("active");
  });

  it("records an unhandled type and events naming what Enclave lacks, changing nothing", async () => {
    const { community, member, vip } = await setting();
    const unhandled = JSON.stringify({ id: "evt_unhandled_1", object: "event", type: "customer.created", data: { object: { id: "cus_x", object: "customer" } }, api_version: "2026-10-28.endive", created: 1 });
    expect((await postWebhook(unhandled)).status).toBe(200);
    expect((await eventRow("evt_unhandled_1"))?.type).toBe("customer.created");

    // a tier the community does not have
    await db().delete(schema.tiers).where(and(eq(schema.tiers.communityId, community.id), eq(schema.tiers.key, "member")));
    const stray = await makePrice(community, "member", 700);
    const sub = await subscribe(community, member, "member", stray);
    const created = await lastEvent(sub.id, "customer.subscription.created");
    expect((await postWebhook(created.payload)).status).toBe(200);
    expect(await eventRow(created.id)).toBeDefined();
    expect(await subscriptionRow(sub.id)).toBeUndefined();
    expect((await paidTierOf(community, member)).paidTier).toBe("free");

    // a user that does not exist
    const ghost = { ...member, id: "usr_nobody" };
    const stranger = await stripe.customers.create({ email: "nobody@example.com" });
    const orphan = await subscribe(community, ghost, "vip", vip, { customer: stranger.id });
    await deliverAll(orphan.id);
    expect(await subscriptionRow(orphan.id)).toBeUndefined();
  });
});

describe("webhook: settling", () => {
  it("ends right when events arrive out of order: an old created after deleted does not resurrect", async () => {
    const { community, member, vip } = await setting();
    const sub = await subscribe(community, member, "vip", vip);
    const created = await lastEvent(sub.id, "customer.subscription.created");
    await control(`/_stand-in/subscriptions/${sub.id}/cancel`, {});
    const deleted = await lastEvent(sub.id, "customer.subscription.deleted");
    await deliver(deleted, created);
    expect((await subscriptionRow(sub.id)).status).toBe("canceled");
    expect((await paidTierOf(community, member)).paidTier).toBe("free");
    expect(await tierChanges(community, member)).toBe(0);
  });

  it("keeps the tier through the grace days of a failed payment, then the cron downgrades and the chat socket closes", async () => {
    const { community, member, sub, socket } = await pastDueInVipChat();
    const pastDue = await subscriptionRow(sub.id);
    expect(pastDue.status).toBe("past_due");
    expect(pastDue.pastDueSince).not.toBeNull();
    expect((await paidTierOf(community, member)).paidTier).toBe("vip");
    // day 6 of 7: still in grace
    expect(await settleEndedGrace(env, pastDue.pastDueSince!.getTime() + 6 * DAY)).toBe(0);
    expect((await paidTierOf(community, member)).paidTier).toBe("vip");
    // day 8: grace ended
    expect(await settleEndedGrace(env, pastDue.pastDueSince!.getTime() + 8 * DAY)).toBe(1);
    expect((await paidTierOf(community, member)).paidTier).toBe("free");
    expect((await socket.closed).code).toBe(4403);
    // idempotent: nothing left to settle
    expect(await settleEndedGrace(env, pastDue.pastDueSince!.getTime() + 9 * DAY)).toBe(0);
  });

  it("follows the owner's grace days, and a recovery clears past_due_since", async () => {
    const { community, member, vip } = await setting();
    await db().insert(schema.billingSettings).values({ communityId: community.id, graceDays: 2, updatedAt: new Date() });
    const sub = await subscribe(community, member, "vip", vip);
    await deliverAll(sub.id);
    await control(`/_stand-in/subscriptions/${sub.id}/fail`, {});
    await deliver(await lastEvent(sub.id, "customer.subscription.updated"));
    const since = (await subscriptionRow(sub.id)).pastDueSince!.getTime();
    expect(await settleEndedGrace(env, since + 3 * DAY)).toBe(1);
    expect((await paidTierOf(community, member)).paidTier).toBe("free");
    await control(`/_stand-in/subscriptions/${sub.id}/recover`, {});
    await deliver(await lastEvent(sub.id, "invoice.paid"));
    const recovered = await subscriptionRow(sub.id);
    expect(recovered.status).toBe("active");
    expect(recovered.pastDueSince).toBeNull();
    expect((await paidTierOf(community, member)).paidTier).toBe("vip");
  });

  it("applies a change of the owner's grace days at once to a past-due member: lowered to 0 locks now, raised again gives the tier back until the new grace ends", async () => {
    const { community, member, sub, socket } = await pastDueInVipChat();
    const grace = (days: number) => call(`/api/v1/communities/${community.slug}/billing`, { method: "PUT", as: community.owner, body: { graceDays: days } });
    expect((await grace(0)).status).toBe(200);
    expect((await paidTierOf(community, member)).paidTier).toBe("free");
    expect((await socket.closed).code).toBe(4403);
    const lapsed = await call(`/api/v1/communities/${community.slug}/billing/me`, { as: member });
    expect(lapsed.body).toMatchObject({ tier: "free", subscription: { status: "past_due", tier: "vip" } });
    expect(Date.parse(lapsed.body.subscription.graceEndsAt)).toBeLessThanOrEqual(Date.now());
    expect((await grace(5)).status).toBe(200);
    const back = await call(`/api/v1/communities/${community.slug}/billing/me`, { as: member });
    expect(back.body).toMatchObject({ tier: "vip", paidTier: "vip", subscription: { status: "past_due" } });
    const since = (await subscriptionRow(sub.id)).pastDueSince!.getTime();
    expect(Date.parse(back.body.subscription.graceEndsAt)).toBe(since + 5 * DAY);
    expect(await tierChanges(community, member)).toBe(3);
    // the cron agrees: nothing to settle until the new grace ends
    expect(await settleEndedGrace(env, since + 4 * DAY)).toBe(0);
    expect(await settleEndedGrace(env, since + 6 * DAY)).toBe(1);
  });

  it("cancels at period end: the tier stays until the period ends, then goes", async () => {
    const { community, member, vip } = await setting();
    const sub = await subscribe(community, member, "vip", vip);
    await deliverAll(sub.id);
    await stripe.subscriptions.update(sub.id, { cancel_at_period_end: true });
    await deliver(await lastEvent(sub.id, "customer.subscription.updated"));
    expect(await subscriptionRow(sub.id)).toMatchObject({ status: "active", cancelAtPeriodEnd: true });
    expect((await paidTierOf(community, member)).paidTier).toBe("vip");
    const me = await call(`/api/v1/communities/${community.slug}/billing/me`, { as: member });
    expect(me.body.subscription.cancelAtPeriodEnd).toBe(true);
    // the period's end: Stripe ends it
    await control(`/_stand-in/subscriptions/${sub.id}/renew`, {});
    await deliver(await lastEvent(sub.id, "customer.subscription.deleted"));
    expect((await subscriptionRow(sub.id)).status).toBe("canceled");
    expect((await paidTierOf(community, member)).paidTier).toBe("free");
  });

  it("keeps a comp tier when the paid subscription is cancelled", async () => {
    const { community, member, vip } = await setting();
    const sub = await subscribe(community, member, "vip", vip);
    await deliverAll(sub.id);
    const granted = await call(`/api/v1/communities/${community.slug}/members/${member.id}`, { as: community.owner, method: "PATCH", body: { compTier: "member" } });
    expect(granted.status).toBe(200);
    await stripe.subscriptions.cancel(sub.id);
    await deliver(await lastEvent(sub.id, "customer.subscription.deleted"));
    expect(await paidTierOf(community, member)).toEqual({ paidTier: "free", compTier: "member" });
    const me = await call(`/api/v1/communities/${community.slug}/billing/me`, { as: member });
    expect(me.body).toMatchObject({ paidTier: "free", compTier: "member", tier: "member", subscription: { status: "canceled" } });
  });
});

describe("webhook: refunds", () => {
  it("revokes on a refund by default: the subscription is cancelled in Stripe and the tier goes", async () => {
    const { community, member, vip } = await setting();
    const sub = await subscribe(community, member, "vip", vip);
    await deliverAll(sub.id);
    await control(`/_stand-in/subscriptions/${sub.id}/refund`, {});
    await deliver(await lastEvent(sub.id, "charge.refunded"));
    expect((await stripe.subscriptions.retrieve(sub.id)).status).toBe("canceled");
    expect((await subscriptionRow(sub.id)).status).toBe("canceled");
    expect((await paidTierOf(community, member)).paidTier).toBe("free");
  });

  it("finds the subscription through the payment intent's invoice when invoice.paid never arrived", async () => {
    const { community, member, vip } = await setting();
    const sub = await subscribe(community, member, "vip", vip);
    await deliver(await lastEvent(sub.id, "customer.subscription.created"));
    await control(`/_stand-in/subscriptions/${sub.id}/refund`, {});
    await deliver(await lastEvent(sub.id, "charge.refunded"));
    expect((await subscriptionRow(sub.id)).status).toBe("canceled");
  });

  it("only records a refund when the owner chose keep", async () => {
    const { community, member, vip } = await setting();
    await db().insert(schema.billingSettings).values({ communityId: community.id, refundPolicy: "keep", updatedAt: new Date() });
    const sub = await subscribe(community, member, "vip", vip);
    await deliverAll(sub.id);
    await control(`/_stand-in/subscriptions/${sub.id}/refund`, {});
    const refunded = await lastEvent(sub.id, "charge.refunded");
    await deliver(refunded);
    expect(await eventRow(refunded.id)).toBeDefined();
    expect((await stripe.subscriptions.retrieve(sub.id)).status).toBe("active");
    expect((await subscriptionRow(sub.id)).status).toBe("active");
    expect((await paidTierOf(community, member)).paidTier).toBe("vip");
  });
});

describe("cancellations that follow access", () => {
  it("cancels at period end as the payer leaves — before the answer, so the Payments page read next says it will not renew — keeping what they paid for", async () => {
    const { community, member, vip } = await setting();
    const sub = await subscribe(community, member, "vip", vip);
    await deliverAll(sub.id);
    expect((await call(`/api/v1/communities/${community.slug}/leave`, { as: member, method: "POST" })).status).toBe(204);
    // no spine run yet: the access listener did it inside the request
    expect(await subscriptionRow(sub.id)).toMatchObject({ status: "active", cancelAtPeriodEnd: true });
    const page = await call("/api/v1/me/billing", { as: member });
    expect(page.body.items).toMatchObject([{ member: false, plan: { cancelAtPeriodEnd: true } }]);
    expect((await stripe.subscriptions.retrieve(sub.id)).cancel_at_period_end).toBe(true);
  });

  it("cancels at period end through the spine when Stripe could not be reached as the payer left", async () => {
    const { community, member, vip } = await setting();
    const sub = await subscribe(community, member, "vip", vip);
    await deliverAll(sub.id);
    const left = await callWith({ STRIPE_API_BASE: "http://127.0.0.1:9" }, `/api/v1/communities/${community.slug}/leave`, member, { method: "POST" });
    expect(left.status).toBe(204);
    expect(await subscriptionRow(sub.id)).toMatchObject({ cancelAtPeriodEnd: false });
    await drainEvents();
    const inStripe = await stripe.subscriptions.retrieve(sub.id);
    expect(inStripe).toMatchObject({ status: "active", cancel_at_period_end: true });
    expect(await subscriptionRow(sub.id)).toMatchObject({ status: "active", cancelAtPeriodEnd: true });
  });

  it("keeps a former member's plan cancelling: 'Don't cancel' in the portal after leaving is set back, so no renewal charges them without access; a member who came back may renew", async () => {
    const { community, member, vip } = await setting();
    const sub = await subscribe(community, member, "vip", vip);
    await deliverAll(sub.id);
    expect((await call(`/api/v1/communities/${community.slug}/leave`, { as: member, method: "POST" })).status).toBe(204);
    await drainEvents();
    expect(await subscriptionRow(sub.id)).toMatchObject({ cancelAtPeriodEnd: true });
    // what the portal's "Don't cancel" does at Stripe, then its webhook
    await stripe.subscriptions.update(sub.id, { cancel_at_period_end: false });
    await deliverAll(sub.id);
    expect((await stripe.subscriptions.retrieve(sub.id)).cancel_at_period_end).toBe(true);
    await deliverAll(sub.id);
    expect(await subscriptionRow(sub.id)).toMatchObject({ status: "active", cancelAtPeriodEnd: true });
    // the portal a former member opens offers no plan change either (its own configuration)
    await makePrice(community, "member", 900);
    const portal = await call(`/api/v1/communities/${community.slug}/billing/portal`, { method: "POST", as: member });
    expect(portal.status).toBe(200);
    expect(await (await fetch(portal.body.url)).text()).not.toMatch(/Switch to/);
    const configs = (await stripe.billingPortal.configurations.list({ active: true, limit: 100 })).data.filter((x) => x.metadata?.enclave_community === community.id);
    expect(configs.map((x) => [x.metadata?.enclave_portal, x.features.subscription_update.enabled])).toEqual([["former", false]]);

    // back as a member, renewing is theirs to choose
    await db().update(schema.memberships).set({ status: "active" }).where(and(eq(schema.memberships.communityId, community.id), eq(schema.memberships.userId, member.id)));
    await stripe.subscriptions.update(sub.id, { cancel_at_period_end: false });
    await deliverAll(sub.id);
    expect((await stripe.subscriptions.retrieve(sub.id)).cancel_at_period_end).toBe(false);
    expect(await subscriptionRow(sub.id)).toMatchObject({ cancelAtPeriodEnd: false });
  });

  it("ends a former member's plan at once when a portal page opened before leaving switched it, and refunds what the switch charged", async () => {
    const { community, member, vip } = await setting(1500);
    const yearly = await makePrice(community, "vip", 15000, "year");
    const sub = await subscribe(community, member, "vip", vip);
    await deliverAll(sub.id);
    expect((await call(`/api/v1/communities/${community.slug}/leave`, { as: member, method: "POST" })).status).toBe(204);
    expect(await subscriptionRow(sub.id)).toMatchObject({ cancelAtPeriodEnd: true, stripePriceId: vip.stripePriceId });
    // the switch the old portal page makes after leaving: monthly → yearly, invoiced at once
    const item = (await stripe.subscriptions.retrieve(sub.id)).items.data[0];
    const switched = await stripe.subscriptions.update(sub.id, { items: [{ id: item.id, price: yearly.stripePriceId }] });
    const invoice = await stripe.invoices.retrieve(switched.latest_invoice as string);
    expect([invoice.billing_reason, invoice.amount_paid]).toEqual(["subscription_update", 15000]);
    await deliverAll(sub.id);
    expect((await stripe.subscriptions.retrieve(sub.id)).status).toBe("canceled");
    const payments = await stripe.invoicePayments.list({ invoice: invoice.id });
    const intent = await stripe.paymentIntents.retrieve(payments.data[0].payment.payment_intent as string);
    expect((await stripe.charges.retrieve(intent.latest_charge as string)).refunded).toBe(true);
    await deliverAll(sub.id);
    expect(await subscriptionRow(sub.id)).toMatchObject({ status: "canceled" });
    // refunded in full once, however often the events come again
    expect((await stripe.charges.retrieve(intent.latest_charge as string)).amount_refunded).toBe(15000);
    // a member switching their own plan is left alone (the contrast)
    const other = await addMember(community);
    const theirs = await subscribe(community, other, "vip", vip);
    await deliverAll(theirs.id);
    const theirItem = (await stripe.subscriptions.retrieve(theirs.id)).items.data[0];
    await stripe.subscriptions.update(theirs.id, { items: [{ id: theirItem.id, price: yearly.stripePriceId }] });
    await deliverAll(theirs.id);
    expect((await stripe.subscriptions.retrieve(theirs.id)).items.data[0].price.id).toBe(yearly.stripePriceId);
    expect(await subscriptionRow(theirs.id)).toMatchObject({ interval: "year", cancelAtPeriodEnd: false });
  });

  it("ends a free trial when its plan is switched: a Member trial switched to VIP (no trial) pays for VIP from now instead of trying it free", async () => {
    const { community, member, vip } = await setting(1500);
    const basic = await makePrice(community, "member", 900);
    const sub = await subscribe(community, member, "member", basic, { trialDays: 7 });
    await deliverAll(sub.id);
    expect(await subscriptionRow(sub.id)).toMatchObject({ status: "trialing", tierKey: "member" });
    // the portal's switch, then its webhook
    await stripe.subscriptions.update(sub.id, { items: [{ id: sub.items.data[0].id, price: vip.stripePriceId }] });
    await deliverAll(sub.id);
    const paying = await stripe.subscriptions.retrieve(sub.id);
    expect(paying.status).toBe("active");
    expect(paying.trial_end).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000));
    await deliverAll(sub.id);
    expect(await subscriptionRow(sub.id)).toMatchObject({ status: "active", tierKey: "vip", mrr: 1500 });
    // a trial left alone stays a trial (the contrast)
    const other = await addMember(community);
    const untouched = await subscribe(community, other, "member", basic, { trialDays: 7 });
    await deliverAll(untouched.id);
    expect((await stripe.subscriptions.retrieve(untouched.id)).status).toBe("trialing");
  });

  it("cancels at period end when the payer is banned", async () => {
    const { community, member, vip } = await setting();
    const sub = await subscribe(community, member, "vip", vip);
    await deliverAll(sub.id);
    const banned = await call(`/api/v1/communities/${community.slug}/bans`, { as: community.owner, body: { userId: member.id, reason: "spam" } });
    expect(banned.status).toBe(201);
    await drainEvents();
    expect((await stripe.subscriptions.retrieve(sub.id)).cancel_at_period_end).toBe(true);
  });

  it("cancels at once when the account is erased, then anonymises the rows and drops the customer", async () => {
    const { community, member, vip } = await setting();
    const sub = await subscribe(community, member, "vip", vip);
    await deliverAll(sub.id);
    // the archive's billing section: the customer (one per community, ADR 041) and the subscription
    const [userRow] = await db().select().from(schema.users).where(eq(schema.users.id, member.id));
    const section = billingData.export!.find((x) => x.name === "billing")!;
    const archived = section.shape === "object" ? ((await section.build({ env, user: userRow })) as any) : null;
    expect(archived.stripeCustomers).toEqual([{ stripeCustomerId: expect.stringMatching(/^cus_/), communityId: community.id }]);
    expect(archived.subscriptions).toEqual([expect.objectContaining({ id: sub.id, communityId: community.id, tier: "vip", status: "active", mrr: 1500 })]);
    expect((await call("/api/v1/me", { as: member, method: "DELETE", body: { password: PASSWORD } })).status).toBe(204);
    await drainEvents();
    expect((await stripe.subscriptions.retrieve(sub.id)).status).toBe("canceled");
    const row = await subscriptionRow(sub.id);
    expect(row).toMatchObject({ status: "canceled", userId: null, stripeCustomerId: null, tierKey: "vip" });
    expect(await db().select().from(schema.billingCustomers).where(eq(schema.billingCustomers.userId, member.id))).toEqual([]);
    // Stripe's deleted event arrives later: it settles the anonymised row and brings nobody back
    await deliver(await lastEvent(sub.id, "customer.subscription.deleted"));
    expect(await subscriptionRow(sub.id)).toMatchObject({ userId: null, stripeCustomerId: null });
    expect(await eventsOf(sub.id, "customer.subscription.deleted")).toHaveLength(1);
  });
});
