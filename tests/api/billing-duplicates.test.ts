// Two live subscriptions for one member in one community (issue 14, the instant two-checkout race;
// ADR 040): the webhook keeps the one Stripe created first, refunds the other in full and cancels it
// at once — whatever the order of events, replays and concurrent deliveries included — and the
// member's tier never drops on the way; a later refund of the cancelled one leaves the survivor alone.
import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import type Stripe from "stripe";
import { describe, expect, it } from "vitest";
import { getDb, schema } from "../../workers/db/client";
import { survivorOf } from "../../workers/billing/duplicates";
import { addMember, makeCommunity } from "../community-fixtures";
import { call } from "../helpers";
import { control, customerFor, deliver, eventsOf, lastEvent, makePrice, paidTierOf, postWebhook, stripe, subscribe, subscriptionRow, tierChanges } from "../billing-fixtures";

/** A member who paid twice at once: two active VIP subscriptions in Stripe, no events delivered yet. */
async function paidTwice(amount = 1500) {
  const community = await makeCommunity();
  const member = await addMember(community);
  const vip = await makePrice(community, "vip", amount);
  const customer = await customerFor(member, community);
  const [a, b] = await Promise.all([subscribe(community, member, "vip", vip, { customer }), subscribe(community, member, "vip", vip, { customer })]);
  const survivor = survivorOf([a, b]);
  const duplicate = survivor.id === a.id ? b : a;
  return { community, member, vip, survivor, duplicate };
}

/** The charge the duplicate's first invoice took, as Stripe holds it now. */
async function chargeOf(sub: Stripe.Subscription): Promise<Stripe.Charge> {
  const payments = await stripe.invoicePayments.list({ invoice: sub.latest_invoice as string });
  const pi = await stripe.paymentIntents.retrieve(payments.data[0].payment.payment_intent as string);
  return stripe.charges.retrieve(pi.latest_charge as string);
}

const creationEvents = async (subId: string) => [await lastEvent(subId, "customer.subscription.created"), await lastEvent(subId, "invoice.paid")];

/** Only the survivor lives on, in Stripe and in D1; the duplicate's charge was refunded once, in full. */
async function expectOneSurvivor({ community, member, survivor, duplicate }: Awaited<ReturnType<typeof paidTwice>>, amount = 1500) {
  expect((await stripe.subscriptions.retrieve(survivor.id)).status).toBe("active");
  expect((await stripe.subscriptions.retrieve(duplicate.id)).status).toBe("canceled");
  expect(await subscriptionRow(survivor.id)).toMatchObject({ status: "active", tierKey: "vip", mrr: amount });
  expect(await subscriptionRow(duplicate.id)).toMatchObject({ status: "canceled", mrr: 0 });
  const charge = await chargeOf(duplicate);
  expect(charge).toMatchObject({ refunded: true, amount_refunded: amount });
  expect(await eventsOf(duplicate.id, "charge.refunded")).toHaveLength(1);
  expect(await eventsOf(survivor.id, "charge.refunded")).toHaveLength(0);
  expect((await paidTierOf(community, member)).paidTier).toBe("vip");
  // free → vip once: the tier never passed through a lower value
  expect(await tierChanges(community, member)).toBe(1);
}

describe("the survivor rule", () => {
  it("keeps the subscription Stripe created first; on a tie the smaller id", () => {
    expect(survivorOf([{ id: "sub_a", created: 200 }, { id: "sub_b", created: 100 }]).id).toBe("sub_b");
    expect(survivorOf([{ id: "sub_b", created: 100 }, { id: "sub_a", created: 100 }]).id).toBe("sub_a");
  });
});

describe("two live subscriptions for one member in one community", () => {
  it("refunds the newer one in full and cancels it when its events arrive first; the older survives", async () => {
    const setting = await paidTwice();
    await deliver(...(await creationEvents(setting.duplicate.id)));
    await deliver(...(await creationEvents(setting.survivor.id)));
    await expectOneSurvivor(setting);
    const refund = JSON.parse((await lastEvent(setting.duplicate.id, "charge.refunded")).payload).data.object as Stripe.Charge;
    expect(refund.amount_refunded).toBe(1500);
    const me = await call(`/api/v1/communities/${setting.community.slug}/billing/me`, { as: setting.member });
    expect(me.body).toMatchObject({ tier: "vip", subscription: { status: "active", tier: "vip" } });
  });

  it("keeps the same one when the older one's events arrive first", async () => {
    const setting = await paidTwice();
    await deliver(...(await creationEvents(setting.survivor.id)));
    await deliver(...(await creationEvents(setting.duplicate.id)));
    await expectOneSurvivor(setting);
  });

  it("ends with exactly one survivor when both webhooks arrive at once, and replays change nothing", async () => {
    const setting = await paidTwice();
    const [survivorCreated, duplicateCreated] = [await lastEvent(setting.survivor.id, "customer.subscription.created"), await lastEvent(setting.duplicate.id, "customer.subscription.created")];
    const answers = await Promise.all([postWebhook(survivorCreated.payload), postWebhook(duplicateCreated.payload)]);
    // a delivery that lost a race with Stripe answers 5xx and Stripe sends it again
    for (const [i, a] of answers.entries()) if (a.status !== 200) await deliver([survivorCreated, duplicateCreated][i]);
    // everything again, in any order, then Stripe's own later events (the refund, the deletion)
    await deliver(...(await eventsOf(setting.duplicate.id)), ...(await eventsOf(setting.survivor.id)));
    await deliver(...(await eventsOf(setting.survivor.id)), ...(await eventsOf(setting.duplicate.id)));
    await expectOneSurvivor(setting);
  });

  it("cancels a duplicate trial without a refund (it took no money)", async () => {
    const community = await makeCommunity();
    const member = await addMember(community);
    const vip = await makePrice(community, "vip", 1500);
    const customer = await customerFor(member, community);
    const [a, b] = await Promise.all([subscribe(community, member, "vip", vip, { trialDays: 7, customer }), subscribe(community, member, "vip", vip, { trialDays: 7, customer })]);
    const survivor = survivorOf([a, b]);
    const duplicate = survivor === a ? b : a;
    await deliver(await lastEvent(duplicate.id, "customer.subscription.created"));
    expect((await stripe.subscriptions.retrieve(duplicate.id)).status).toBe("canceled");
    expect((await stripe.subscriptions.retrieve(survivor.id)).status).toBe("trialing");
    expect(await eventsOf(duplicate.id, "charge.refunded")).toHaveLength(0);
    expect(await subscriptionRow(survivor.id)).toMatchObject({ status: "trialing" });
    expect((await paidTierOf(community, member)).paidTier).toBe("vip");
  });

  it("leaves a member's single subscription alone", async () => {
    const community = await makeCommunity();
    const member = await addMember(community);
    const vip = await makePrice(community, "vip", 1500);
    const only = await subscribe(community, member, "vip", vip);
    await deliver(...(await eventsOf(only.id)));
    expect((await stripe.subscriptions.retrieve(only.id)).status).toBe("active");
    expect(await eventsOf(only.id, "charge.refunded")).toHaveLength(0);
  });
});

describe("refunds of a cancelled duplicate", () => {
  it("a refund of the duplicate from the Dashboard or the portal never revokes the survivor's access", async () => {
    const setting = await paidTwice();
    const { community, member, survivor, duplicate } = setting;
    // the owner refunds the newer one from the Dashboard before any event landed (refund policy: revoke)
    await control(`/_stand-in/subscriptions/${duplicate.id}/refund`, {});
    await deliver(await lastEvent(duplicate.id, "charge.refunded"));
    expect((await stripe.subscriptions.retrieve(duplicate.id)).status).toBe("canceled");
    expect((await stripe.subscriptions.retrieve(survivor.id)).status).toBe("active");
    expect((await paidTierOf(community, member)).paidTier).toBe("vip");
    // every event of both, Stripe's deletion included, twice: no second refund, the survivor stays
    for (let i = 0; i < 2; i++) await deliver(...(await eventsOf(duplicate.id)), ...(await eventsOf(survivor.id)));
    await expectOneSurvivor(setting);
  });

  it("a second refund event for the cancelled duplicate (redelivered by Stripe) leaves the survivor paid", async () => {
    const setting = await paidTwice();
    const { community, member, survivor, duplicate } = setting;
    await deliver(...(await creationEvents(survivor.id)), ...(await creationEvents(duplicate.id)));
    const refunded = await lastEvent(duplicate.id, "charge.refunded");
    await deliver(refunded);
    // Stripe sends the same refund again under a new event id (a resend from the Dashboard)
    const again = JSON.parse(refunded.payload) as Stripe.Event;
    await deliver({ ...refunded, id: "evt_resent_refund", payload: JSON.stringify({ ...again, id: `evt_resent_${duplicate.id}` }) });
    expect((await stripe.subscriptions.retrieve(survivor.id)).status).toBe("active");
    await expectOneSurvivor(setting);
  });

  it("the refund ADR 040 made arriving before the survivor's own events still leaves the member paid", async () => {
    const setting = await paidTwice();
    const { community, member, survivor, duplicate } = setting;
    // only the duplicate's events so far: the guard cancels it and refunds it, writing the survivor's row too
    await deliver(...(await creationEvents(duplicate.id)));
    expect(await subscriptionRow(survivor.id)).toMatchObject({ status: "active" });
    await deliver(await lastEvent(duplicate.id, "charge.refunded"), await lastEvent(duplicate.id, "customer.subscription.deleted"));
    expect((await paidTierOf(community, member)).paidTier).toBe("vip");
    expect((await stripe.subscriptions.retrieve(survivor.id)).status).toBe("active");
    await deliver(...(await creationEvents(survivor.id)));
    await expectOneSurvivor(setting);
    const rows = await getDb(env).select().from(schema.subscriptions).where(eq(schema.subscriptions.userId, member.id));
    expect(rows.filter((r) => r.status === "active").map((r) => r.id)).toEqual([survivor.id]);
  });
});
