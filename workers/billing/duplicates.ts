// One live subscription per member and community (ADR 040). Checkout refuses a second one and a
// new checkout expires the member's other open ones, but two sessions created in the same instant
// can both be paid. So every webhook settles a subscription together with the member's other live
// subscriptions in that community, as Stripe holds them now; when there are two or more, the one
// Stripe created first survives and the others are refunded in full and cancelled at once.
import type Stripe from "stripe";
import type { SQL } from "drizzle-orm";
import { liveSubscriptionStatuses } from "../db/schema";
import { enclaveMetadata, hasEnded, idOf, retrieveSubscription, settlements, SUBSCRIPTION_EXPAND, type Settled, type Settlement } from "./settle";


/** Whether a subscription holds (or may regain) its tier and renews: db/schema liveSubscriptionStatuses. */
export const isLive = (sub: Pick<Stripe.Subscription, "status">) => (liveSubscriptionStatuses as readonly string[]).includes(sub.status);

/**
 * Which of a member's live subscriptions in one community survives: the one Stripe created first
 * (`created`, unix s), the smaller id on a tie. Every delivery computes it from Stripe's state, so
 * whatever the order of events, the same one survives — in practice the one paid first.
 */
export function survivorOf<T extends Pick<Stripe.Subscription, "id" | "created">>(subs: readonly T[]): T {
  return [...subs].sort((a, b) => a.created - b.created || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))[0];
}

/** The member's other subscriptions in `sub`'s community that Stripe has not ended, under the same Customer (discounts expanded). */
async function siblingsOf(stripe: Stripe, sub: Stripe.Subscription, member: { communityId: string; userId: string }): Promise<Stripe.Subscription[]> {
  const customer = idOf(sub.customer);
  if (!customer) return [];
  const found: Stripe.Subscription[] = [];
  // the list leaves canceled and incomplete_expired ones out unless asked
  for await (const other of stripe.subscriptions.list({ customer, limit: 100, expand: SUBSCRIPTION_EXPAND.map((path) => `data.${path}`) })) {
    const meta = enclaveMetadata(other);
    if (other.id !== sub.id && meta?.communityId === member.communityId && meta.userId === member.userId) found.push(other);
  }
  return found;
}

/**
 * Refunds in full what `invoice` took (Stripe: `refunds.create` by charge, with `reason` and
 * `metadata`). Idempotent: a charge already refunded is skipped, and the Idempotency-Key (`key`
 * and the charge) makes two deliveries racing create one refund. An invoice that took nothing (a
 * trial's first) has nothing to refund. Throws Stripe's errors.
 */
export async function refundInvoice(stripe: Stripe, invoice: string, refund: { reason: "duplicate" | "requested_by_customer"; metadata: Record<string, string>; key: string }): Promise<void> {
  const payments = await stripe.invoicePayments.list({ invoice, limit: 10 });
  for (const payment of payments.data) {
    const paymentIntent = payment.status === "paid" && payment.payment.type === "payment_intent" ? idOf(payment.payment.payment_intent) : null;
    if (!paymentIntent) continue;
    const charge = idOf((await stripe.paymentIntents.retrieve(paymentIntent)).latest_charge);
    if (!charge || (await stripe.charges.retrieve(charge)).refunded) continue;
    await stripe.refunds.create({ charge, reason: refund.reason, metadata: refund.metadata }, { idempotencyKey: `${refund.key}:${charge}` });
  }
}

/** Refunds in full what a duplicate's latest invoice took (refundInvoice, reason `duplicate`). */
async function refundDuplicate(stripe: Stripe, duplicate: Stripe.Subscription, survivor: Stripe.Subscription): Promise<void> {
  const invoice = idOf(duplicate.latest_invoice);
  if (!invoice) return;
  await refundInvoice(stripe, invoice, {
    reason: "duplicate",
    metadata: { enclave_duplicate_of: survivor.id, enclave_subscription: duplicate.id },
    key: "enclave-duplicate-refund",
  });
}

/** The duplicate cancelled at once; one another delivery cancelled a moment ago is taken as it is. Throws Stripe's other errors. */
async function cancelDuplicate(stripe: Stripe, duplicate: Stripe.Subscription, survivor: Stripe.Subscription): Promise<Stripe.Subscription> {
  try {
    return await stripe.subscriptions.cancel(duplicate.id, { expand: SUBSCRIPTION_EXPAND, cancellation_details: { comment: `duplicate of ${survivor.id}` } });
  } catch (error) {
    const now = await retrieveSubscription(stripe, duplicate.id);
    if (now && hasEnded(now)) return now;
    throw error;
  }
}

/**
 * The settlement of `sub` (as just retrieved, discounts expanded) together with the member's other
 * live subscriptions in its community, so the paid tier is always computed over all of them: a
 * subscription that ends never drops the member while a sibling still pays, even if the sibling's
 * own events have not arrived yet. With two or more live, every one but survivorOf() is refunded
 * (refundDuplicate) and then cancelled at once — refund first, so a retry after a failed cancel
 * still finds it live and finishes; a duplicate already cancelled is not refunded again here.
 * `checkoutSessionId` belongs to `sub`. Throws Stripe's errors (the webhook answers 502, Stripe retries).
 */
export async function settleWithSiblings(env: Env, stripe: Stripe, sub: Stripe.Subscription, opts: { guard: SQL; checkoutSessionId?: string }): Promise<Settlement | null> {
  const meta = enclaveMetadata(sub);
  if (!meta) return null;
  const siblings = (await siblingsOf(stripe, sub, meta)).filter(isLive);
  const everyone = [sub, ...siblings];
  const live = everyone.filter(isLive);
  const survivor = live.length > 1 ? survivorOf(live) : null;
  const settled: Settled[] = [];
  for (const one of everyone) {
    let state = one;
    if (survivor && one !== survivor && isLive(one)) {
      await refundDuplicate(stripe, one, survivor);
      state = await cancelDuplicate(stripe, one, survivor);
    }
    settled.push({ sub: state, checkoutSessionId: one === sub ? opts.checkoutSessionId : null });
  }
  return settlements(env, settled, { guard: opts.guard });
}
