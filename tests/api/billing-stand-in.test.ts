// The Stripe stand-in (scripts/stripe-stand-in) as the real SDK sees it from workerd: the objects
// Enclave reads come back in the pinned API version's shapes, the test checkout page's Pay sends
// the events Stripe would, in Stripe's order, signed so the SDK's constructEventAsync accepts them.
import { env } from "cloudflare:workers";
import Stripe from "stripe";
import { describe, expect, it } from "vitest";
import { payAt, standIn, stripe } from "../billing-fixtures";

const crypto = Stripe.createSubtleCryptoProvider();

type SentEvent = { id: string; type: string; payload: string; signature: string; deliveries: Array<{ status: number | null }> };
const eventsOf = async (customer: string): Promise<SentEvent[]> =>
  ((await (await standIn(`/_stand-in/events?customer=${customer}`)).json()) as { data: SentEvent[] }).data;
const control = async (path: string, body: unknown = {}) => {
  const res = await standIn(`/_stand-in/${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as { result: any; events: Array<{ type: string }> } };
};

async function openCheckout(opts: { trialDays?: number; amount?: number } = {}) {
  const product = await stripe.products.create({ name: "VIP", metadata: { enclave_community: "com_standin", enclave_tier: "vip" } });
  const price = await stripe.prices.create({
    product: product.id,
    unit_amount: opts.amount ?? 30_000,
    currency: "twd",
    recurring: { interval: "month" },
    metadata: { enclave_community: "com_standin", enclave_tier: "vip" },
  });
  const customer = await stripe.customers.create({ email: "payer@example.com", metadata: { enclave_user: "usr_payer" } });
  const session = await stripe.checkout.sessions.create({
    mode: "subscription",
    customer: customer.id,
    client_reference_id: "usr_payer",
    line_items: [{ price: price.id, quantity: 1 }],
    allow_promotion_codes: true,
    metadata: { enclave_community: "com_standin", enclave_user: "usr_payer", enclave_tier: "vip" },
    subscription_data: { ...(opts.trialDays ? { trial_period_days: opts.trialDays } : {}), metadata: { enclave_community: "com_standin", enclave_user: "usr_payer", enclave_tier: "vip" } },
    success_url: "http://localhost/c/demo/billing/success?session_id={CHECKOUT_SESSION_ID}",
    cancel_url: "http://localhost/c/demo/billing/cancel",
  });
  return { product, price, customer, session };
}

const pay = (session: Stripe.Checkout.Session, promotionCode = "") => payAt(session.url!, promotionCode);

describe("Stripe stand-in", () => {
  it("labels its checkout page as a test with the tier, price, trial, a code field, Pay and Cancel", async () => {
    const { session } = await openCheckout({ trialDays: 14 });
    const page = await (await fetch(session.url!)).text();
    expect(page).toContain("Enclave test checkout — no real payment");
    expect(page).toContain("VIP");
    expect(page).toContain("TWD 30000");
    expect(page).toContain("14-day free trial");
    expect(page).toContain('name="promotion_code"');
    expect(page).toMatch(/>Pay</);
    expect(page).toMatch(/>Cancel</);
  });

  it("Pay sends checkout.session.completed, customer.subscription.created, invoice.paid that constructEventAsync verifies, then returns to success_url", async () => {
    const { customer, session } = await openCheckout();
    expect(await pay(session)).toBe(`http://localhost/c/demo/billing/success?session_id=${session.id}`);

    const sent = await eventsOf(customer.id);
    expect(sent.map((e) => e.type)).toEqual(["checkout.session.completed", "customer.subscription.created", "invoice.paid"]);
    const events = await Promise.all(sent.map((e) => stripe.webhooks.constructEventAsync(e.payload, e.signature, env.STRIPE_WEBHOOK_SECRET, undefined, crypto)));
    expect(new Set(events.map((e) => e.id)).size).toBe(3);

    const completed = events[0].data.object as Stripe.Checkout.Session;
    expect(completed.status).toBe("complete");
    expect(completed.client_reference_id).toBe("usr_payer");
    const created = events[1].data.object as Stripe.Subscription;
    expect(created.status).toBe("active");
    expect(created.metadata).toEqual({ enclave_community: "com_standin", enclave_user: "usr_payer", enclave_tier: "vip" });
    expect(created.items.data[0].current_period_end).toBeGreaterThan(created.items.data[0].current_period_start);
    const invoice = events[2].data.object as Stripe.Invoice;
    expect(invoice.parent?.subscription_details?.subscription).toBe(created.id);
    expect(invoice.amount_paid).toBe(30_000);

    // the payment intent leads back to the invoice, as charge.refunded handling needs
    const payments = await stripe.invoicePayments.list({ invoice: invoice.id });
    const pi = await stripe.paymentIntents.retrieve(payments.data[0].payment.payment_intent as string);
    expect(pi.status).toBe("succeeded");
    const charge = await stripe.charges.retrieve(pi.latest_charge as string);
    expect(charge.payment_intent).toBe(pi.id);
  });

  it("rejects a payload changed after signing", async () => {
    const { customer, session } = await openCheckout();
    await pay(session);
    const [first] = await eventsOf(customer.id);
    const tampered = first.payload.replace('"complete"', '"open"');
    await expect(stripe.webhooks.constructEventAsync(tampered, first.signature, env.STRIPE_WEBHOOK_SECRET, undefined, crypto)).rejects.toThrow();
  });

  it("starts a trial when the session asks for trial days, with a zero invoice", async () => {
    const { session } = await openCheckout({ trialDays: 7 });
    await pay(session);
    const done = await stripe.checkout.sessions.retrieve(session.id, { expand: ["subscription", "invoice"] });
    const sub = done.subscription as Stripe.Subscription;
    expect(sub.status).toBe("trialing");
    expect(sub.trial_end! - sub.trial_start!).toBe(7 * 86_400);
    expect((done.invoice as Stripe.Invoice).total).toBe(0);
  });

  it("takes 10 % off with the promotion code WELCOME10", async () => {
    const { session } = await openCheckout({ amount: 50_000 });
    await pay(session, "welcome10");
    const done = await stripe.checkout.sessions.retrieve(session.id, { expand: ["subscription.discounts", "invoice"] });
    expect((done.invoice as Stripe.Invoice).total).toBe(45_000);
    const discount = (done.subscription as Stripe.Subscription).discounts[0] as Stripe.Discount;
    expect(discount.source.coupon).toBe("WELCOME10");
  });

  it("Cancel returns to cancel_url and leaves the session open with nothing charged", async () => {
    const { customer, session } = await openCheckout();
    const res = await fetch(`${session.url}/cancel`, { method: "POST", redirect: "manual" });
    expect(res.headers.get("location")).toBe("http://localhost/c/demo/billing/cancel");
    expect((await stripe.checkout.sessions.retrieve(session.id)).status).toBe("open");
    expect(await eventsOf(customer.id)).toEqual([]);
  });

  it("the JSON pay control completes a session as Pay does; redeliver sends an event again and records the answer", async () => {
    const { customer, session } = await openCheckout();
    const paid = await control(`checkout/${session.id}/pay`, {});
    expect(paid.status).toBe(200);
    expect(paid.body.result.subscription.status).toBe("active");
    expect(paid.body.events.map((e) => e.type)).toEqual(["checkout.session.completed", "customer.subscription.created", "invoice.paid"]);
    expect((await control(`checkout/${session.id}/pay`, {})).status).toBe(400);
    const [first] = await eventsOf(customer.id);
    // the stand-in's own root answers 404 to a POST: the answer is recorded all the same
    const again = await control(`events/${first.id}/redeliver`, { url: `${env.STRIPE_API_BASE}/` });
    expect(again.body).toMatchObject({ id: first.id, delivery: { status: 404 } });
    expect((await eventsOf(customer.id))[0].deliveries).toEqual([expect.objectContaining({ status: 404 })]);
  });

  it("answers in Stripe's error envelope, which the SDK turns into a typed error", async () => {
    const err = await stripe.prices.retrieve("price_missing").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(err).toMatchObject({ statusCode: 404, code: "resource_missing", param: "id" });
    const noAmount = await stripe.prices.create({ currency: "usd", product: "prod_missing" } as Stripe.PriceCreateParams).catch((e: unknown) => e);
    expect(noAmount).toMatchObject({ statusCode: 404, code: "resource_missing", param: "product" });
  });

  it("honours Idempotency-Key: the same key makes one customer, another parameter set under it is refused", async () => {
    const key = `customer-${Date.now()}`;
    const [a, b] = await Promise.all([
      stripe.customers.create({ email: "one@example.com" }, { idempotencyKey: key }),
      stripe.customers.create({ email: "one@example.com" }, { idempotencyKey: key }),
    ]);
    expect(a.id).toBe(b.id);
    const clash = await stripe.customers.create({ email: "two@example.com" }, { idempotencyKey: key }).catch((e: unknown) => e);
    expect(clash).toBeInstanceOf(Stripe.errors.StripeIdempotencyError);
  });

  it("test controls: renew, fail → past_due, recover, refund and cancel emit Stripe's events", async () => {
    const { customer, session } = await openCheckout();
    await pay(session);
    const subId = (await stripe.checkout.sessions.retrieve(session.id)).subscription as string;
    const before = await stripe.subscriptions.retrieve(subId);

    const renewed = await control(`subscriptions/${subId}/renew`);
    expect(renewed.body.events.map((e) => e.type)).toEqual(["customer.subscription.updated", "invoice.paid"]);
    expect(renewed.body.result.items.data[0].current_period_start).toBe(before.items.data[0].current_period_end);

    const failed = await control(`subscriptions/${subId}/fail`);
    expect(failed.body.events.map((e) => e.type)).toEqual(["invoice.payment_failed", "customer.subscription.updated"]);
    expect((await stripe.subscriptions.retrieve(subId)).status).toBe("past_due");

    await control(`subscriptions/${subId}/recover`);
    expect((await stripe.subscriptions.retrieve(subId)).status).toBe("active");

    const refunded = await control(`subscriptions/${subId}/refund`);
    expect(refunded.body.events.map((e) => e.type)).toEqual(["charge.refunded"]);
    expect(refunded.body.result.amount).toBe(30_000);

    const canceled = await control(`subscriptions/${subId}/cancel`);
    expect(canceled.body.events.map((e) => e.type)).toEqual(["customer.subscription.deleted"]);
    expect((await stripe.subscriptions.retrieve(subId)).status).toBe("canceled");

    const all = await eventsOf(customer.id);
    expect(new Set(all.map((e) => e.id)).size).toBe(all.length);
  });

  it("refunds through POST /v1/refunds (by charge or payment intent) in the SDK's Refund shape, with charge.refunded; a second full refund is refused", async () => {
    const { customer, session } = await openCheckout({ amount: 30_000 });
    await payAt(session.url!);
    const sub = (await stripe.checkout.sessions.retrieve(session.id)).subscription as string;
    const invoice = (await stripe.subscriptions.retrieve(sub)).latest_invoice as string;
    const [payment] = (await stripe.invoicePayments.list({ invoice })).data;
    const paymentIntent = payment.payment.payment_intent as string;
    const charge = (await stripe.paymentIntents.retrieve(paymentIntent)).latest_charge as string;
    const part = await stripe.refunds.create({ charge, amount: 10_000, reason: "duplicate", metadata: { note: "part" } });
    expect(part).toMatchObject({ object: "refund", amount: 10_000, charge, payment_intent: paymentIntent, currency: "twd", reason: "duplicate", status: "succeeded", metadata: { note: "part" } });
    expect(await stripe.charges.retrieve(charge)).toMatchObject({ amount_refunded: 10_000, refunded: false });
    // the rest, by payment intent
    const rest = await stripe.refunds.create({ payment_intent: paymentIntent });
    expect(rest.amount).toBe(20_000);
    expect(await stripe.charges.retrieve(charge)).toMatchObject({ amount_refunded: 30_000, refunded: true });
    expect((await stripe.refunds.retrieve(rest.id)).id).toBe(rest.id);
    const refunds = (await eventsOf(customer.id)).filter((e) => e.type === "charge.refunded");
    expect(refunds).toHaveLength(2);
    const event = await Stripe.webhooks.constructEventAsync(refunds[1].payload, refunds[1].signature, env.STRIPE_WEBHOOK_SECRET, undefined, crypto);
    expect(event.data.object).toMatchObject({ id: charge, refunded: true, amount_refunded: 30_000 });
    await expect(stripe.refunds.create({ charge })).rejects.toMatchObject({ type: "StripeInvalidRequestError", code: "charge_already_refunded" });
    await expect(stripe.refunds.create({})).rejects.toMatchObject({ type: "StripeInvalidRequestError", code: "parameter_missing" });
  });

  it("updates through the API: cancel at period end and a price swap each send customer.subscription.updated", async () => {
    const { product, customer, session } = await openCheckout();
    await pay(session);
    const subId = (await stripe.checkout.sessions.retrieve(session.id)).subscription as string;
    const sub = await stripe.subscriptions.update(subId, { cancel_at_period_end: true });
    expect(sub.cancel_at_period_end).toBe(true);
    expect(sub.cancel_at).toBe(sub.items.data[0].current_period_end);
    const yearly = await stripe.prices.create({ product: product.id, unit_amount: 300_000, currency: "twd", recurring: { interval: "year" } });
    const swapped = await stripe.subscriptions.update(subId, { items: [{ id: sub.items.data[0].id, price: yearly.id }] });
    expect(swapped.items.data[0].price.id).toBe(yearly.id);
    // another interval: a new period from now, invoiced at once (Stripe's billing-cycle reset)
    expect(swapped.items.data[0].current_period_end - swapped.items.data[0].current_period_start).toBeGreaterThanOrEqual(365 * 86_400);
    const types = (await eventsOf(customer.id)).map((e) => e.type);
    expect(types.slice(-3)).toEqual(["customer.subscription.updated", "customer.subscription.updated", "invoice.paid"]);
    const invoice = await stripe.invoices.retrieve(swapped.latest_invoice as string);
    expect([invoice.billing_reason, invoice.amount_paid]).toEqual(["subscription_update", 300_000]);
  });

  it("serves a test portal listing the customer's subscriptions with cancel at period end, switch and back", async () => {
    const { product, customer, session } = await openCheckout();
    await stripe.prices.create({ product: product.id, unit_amount: 300_000, currency: "twd", recurring: { interval: "year" }, metadata: { enclave_community: "com_standin", enclave_tier: "vip" } });
    await pay(session);
    const portal = await stripe.billingPortal.sessions.create({ customer: customer.id, return_url: "http://localhost/c/demo/billing" });
    const page = await (await fetch(portal.url)).text();
    expect(page).toContain("Enclave test billing portal — no real payment");
    expect(page).toContain("Cancel at period end");
    expect(page).toContain("Switch to VIP — TWD 300000 (minor units) per year");
    expect(page).toContain('href="http://localhost/c/demo/billing"');
    const subId = (await stripe.checkout.sessions.retrieve(session.id)).subscription as string;
    const res = await fetch(`${portal.url}/subscriptions/${subId}/cancel-at-period-end`, { method: "POST", body: new URLSearchParams({ cancel: "true" }), redirect: "manual" });
    expect(res.status).toBe(303);
    expect((await stripe.subscriptions.retrieve(subId)).cancel_at_period_end).toBe(true);
  });

  it("moves a lookup key to another Price on update only with transfer_lookup_key, as Stripe does", async () => {
    const { product, price } = await openCheckout();
    const key = `standin:${price.id}`;
    await stripe.prices.update(price.id, { lookup_key: key });
    const other = await stripe.prices.create({ product: product.id, unit_amount: 40_000, currency: "twd", recurring: { interval: "month" } });
    const refused = await stripe.prices.update(other.id, { lookup_key: key }).catch((e: unknown) => e);
    expect(refused).toMatchObject({ statusCode: 400, code: "lookup_key_already_exists" });
    expect(await stripe.prices.update(other.id, { lookup_key: key, transfer_lookup_key: true })).toMatchObject({ lookup_key: key });
    expect(await stripe.prices.retrieve(price.id)).toMatchObject({ lookup_key: null });
    expect((await stripe.prices.list({ lookup_keys: [key] })).data.map((p) => p.id)).toEqual([other.id]);
  });

  it("lists open checkout sessions with line_items only when expanded, and expires one", async () => {
    const { price, session } = await openCheckout();
    const plain = await stripe.checkout.sessions.retrieve(session.id);
    expect(plain.line_items).toBeUndefined();
    const expanded = await stripe.checkout.sessions.retrieve(session.id, { expand: ["line_items"] });
    expect(expanded.line_items?.data).toEqual([expect.objectContaining({ object: "item", quantity: 1, price: expect.objectContaining({ id: price.id }) })]);
    const open: Stripe.Checkout.Session[] = [];
    for await (const s of stripe.checkout.sessions.list({ status: "open", limit: 100, expand: ["data.line_items"] })) open.push(s);
    expect(open.find((s) => s.id === session.id)?.line_items?.data[0].price?.id).toBe(price.id);
    expect(await stripe.checkout.sessions.expire(session.id)).toMatchObject({ status: "expired" });
    const again = await stripe.checkout.sessions.expire(session.id).catch((e: unknown) => e);
    expect(again).toMatchObject({ statusCode: 400, code: "checkout_session_not_open" });
  });
});
