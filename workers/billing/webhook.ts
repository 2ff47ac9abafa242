// Stripe webhooks (ADR 037, issue 14 §4): verified with the SubtleCrypto provider, each event id
// processed once — its `stripe_events` row and its effect in one D1 batch — and every
// subscription event settled against the Subscription as Stripe holds it now (settle.ts).
import { eq, sql, type SQL } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import Stripe from "stripe";
import { getDb, schema } from "../db/client";
import { rowWhere } from "../db/insert-select";
import { DomainError } from "../lib/errors";
import { afterAccessCommitted, writeMembershipActivation, type PendingAccessChange } from "../domain/access-changes";
import { paymentsNotConfigured, requireStripe, viaStripe } from "./errors";
import { idOf, retrieveSubscription, type Settlement } from "./settle";
import { settleWithSiblings } from "./duplicates";
import { endNow, holdToAccessRules } from "./settle-cancellations";

type Statement = BatchItem<"sqlite">;

/** The largest webhook body read, in bytes (Stripe's events are a few KB; a list-heavy one tens). */
export const MAX_WEBHOOK_BYTES = 512 * 1024;

/** Signatures older than this many seconds are refused (the SDK's default tolerance, Stripe docs "replay attacks"). */
export const SIGNATURE_TOLERANCE_S = 300;

const invalid = (code: string, message: string) => new DomainError(400, code, message);

/**
 * The event `body` (raw bytes as received) carries, once its `Stripe-Signature` verifies with
 * STRIPE_WEBHOOK_SECRET within SIGNATURE_TOLERANCE_S. Throws 400 `invalid_signature` (missing,
 * wrong, or stale signature), 400 `invalid_body` (not an event), 409 `payments_not_configured`
 * (no secret: nothing could be verified).
 */
export async function verifiedEvent(env: Env, body: Uint8Array, signature: string | undefined): Promise<Stripe.Event> {
  const secret = (env.STRIPE_WEBHOOK_SECRET ?? "").trim();
  if (!secret) throw paymentsNotConfigured();
  if (!signature) throw invalid("invalid_signature", "The Stripe-Signature header is missing.");
  // the SDK checks only a signature's age: one from the future (a clock far off, or a forged
  // timestamp held back for later) is refused the same way
  const signedAt = Number(/(?:^|,)\s*t=(\d+)/.exec(signature)?.[1]);
  if (Number.isFinite(signedAt) && signedAt > Date.now() / 1000 + SIGNATURE_TOLERANCE_S) throw invalid("invalid_signature", "The signature's timestamp is in the future.");
  const text = new TextDecoder().decode(body);
  let event: Stripe.Event;
  try {
    event = await Stripe.webhooks.constructEventAsync(text, signature, secret, SIGNATURE_TOLERANCE_S, Stripe.createSubtleCryptoProvider());
  } catch (error) {
    if (error instanceof Stripe.errors.StripeSignatureVerificationError) throw invalid("invalid_signature", error.message);
    throw invalid("invalid_body", "The body is not a Stripe event.");
  }
  if (!event || typeof event.id !== "string" || typeof event.type !== "string" || typeof event.data?.object !== "object" || event.data.object === null) {
    throw invalid("invalid_body", "The body is not a Stripe event.");
  }
  return event;
}

const notProcessed = (eventId: string) => sql`not exists (select 1 from stripe_events where id = ${eventId})`;

/** Whether an event id already has its row (a replay). */
async function processed(env: Env, eventId: string): Promise<boolean> {
  const e = schema.stripeEvents;
  const [row] = await getDb(env).select({ id: e.id }).from(e).where(eq(e.id, eventId)).limit(1);
  return Boolean(row);
}


/** The subscription an invoice bills, in the pinned API version (`parent.subscription_details`). */
const subscriptionOfInvoice = (invoice: Stripe.Invoice) => idOf(invoice.parent?.subscription_details?.subscription);

/** The payment intents that paid an invoice: from the event's `payments` when present, else listed. */
async function paymentIntentsOf(stripe: Stripe, invoice: Stripe.Invoice): Promise<string[]> {
  const payments = invoice.payments?.data ?? (await stripe.invoicePayments.list({ invoice: invoice.id!, limit: 10 })).data;
  return payments.flatMap((p) => (p.payment.type === "payment_intent" && p.payment.payment_intent ? [idOf(p.payment.payment_intent)!] : []));
}

/**
 * The subscription a refunded charge paid for: remembered from invoice.paid, else through the
 * payment intent's invoice payment (a Charge carries no invoice in the pinned API version).
 */
async function subscriptionOfCharge(env: Env, stripe: Stripe, charge: Stripe.Charge): Promise<string | null> {
  const paymentIntent = idOf(charge.payment_intent);
  if (!paymentIntent) return null;
  const pi = schema.stripePaymentIntents;
  const [known] = await getDb(env).select({ id: pi.subscriptionId }).from(pi).where(eq(pi.paymentIntentId, paymentIntent)).limit(1);
  if (known) return known.id;
  const payments = await stripe.invoicePayments.list({ payment: { type: "payment_intent", payment_intent: paymentIntent }, limit: 1 });
  const invoiceId = idOf(payments.data[0]?.invoice);
  if (!invoiceId) return null;
  return subscriptionOfInvoice(await stripe.invoices.retrieve(invoiceId));
}

/** The refund policy of the community a subscription belongs to (ADR 037: default revoke). */
async function refundPolicyOf(env: Env, communityId: string): Promise<"revoke" | "keep"> {
  const b = schema.billingSettings;
  const [row] = await getDb(env).select({ policy: b.refundPolicy }).from(b).where(eq(b.communityId, communityId)).limit(1);
  return row?.policy ?? "revoke";
}

type Effect = { statements: Statement[]; changes: PendingAccessChange[] };
const none: Effect = { statements: [], changes: [] };
const fromSettlement = (settled: Settlement | null): Effect => settled ?? none;

/**
 * Settle one subscription by id: retrieve, then write it with the member's other live ones in the
 * community, cancelling duplicates (duplicates.ts, ADR 040); nothing when Stripe has no such subscription.
 */
async function settleById(env: Env, stripe: Stripe, id: string | null, guard: SQL, checkoutSessionId?: string): Promise<Effect> {
  if (!id) return none;
  const found = await retrieveSubscription(stripe, id);
  if (!found) return none;
  // a former member's "Don't cancel" in the portal does not bring back a charge without access,
  // and a plan switched during a trial starts paying
  const sub = await holdToAccessRules(env, stripe, found);
  return fromSettlement(await settleWithSiblings(env, stripe, sub, { guard, checkoutSessionId }));
}

/**
 * Buying is joining (ADR 037 addendum): someone who bought from the pricing page without being a
 * member becomes one when the purchase completes (paid, or a trial begun) — source "pricing", never
 * over a ban, nothing for someone already active. Only at checkout's completion: a later event of
 * the subscription (a renewal, a cancellation) never brings back someone who left since. The
 * membership comes first in the batch, so the paid tier the settlement writes lands on it.
 */
function withJoining(env: Env, session: Stripe.Checkout.Session, settled: Effect, guard: SQL): Effect {
  const communityId = session.metadata?.enclave_community;
  const userId = session.metadata?.enclave_user;
  if (!communityId || !userId || session.payment_status === "unpaid" || settled.statements.length === 0) return settled;
  const audit = { communityId, actorId: userId, action: "member.join", targetType: "user", targetId: userId, data: { via: "pricing", checkoutSession: session.id } };
  const joined = writeMembershipActivation(env, communityId, userId, { source: "pricing", inviteCode: null, compTier: null }, audit, new Date(), guard);
  return { statements: [joined.first, ...joined.rest, ...settled.statements], changes: [...joined.changes, ...settled.changes] };
}

/** A completed checkout: its subscription settled (with siblings) and, for a buyer from the pricing page, the joining. */
async function checkoutEffect(env: Env, stripe: Stripe, session: Stripe.Checkout.Session, guard: SQL): Promise<Effect> {
  if (session.mode !== "subscription") return none;
  const settled = await settleById(env, stripe, idOf(session.subscription), guard, session.id);
  return withJoining(env, session, settled, guard);
}

/**
 * Catch-up for a webhook that never arrived (ADR 038 addendum): settles a checkout session that
 * Stripe reports complete exactly as `checkout.session.completed` would — the subscription as
 * Stripe holds it now, the member's siblings, the joining — without recording an event, so the
 * webhook still runs when it comes and, finding the same state, changes nothing (the writes are
 * conditional: an unchanged tier or an active membership writes no event). Idempotent.
 * Throws 502 `stripe_unavailable` when Stripe fails, or what D1 threw.
 */
export async function settleCompletedCheckout(env: Env, stripe: Stripe, session: Stripe.Checkout.Session): Promise<void> {
  if (session.status !== "complete") return;
  const effect = await viaStripe(() => checkoutEffect(env, stripe, session, sql`1`));
  if (effect.statements.length === 0) return;
  const [first, ...rest] = effect.statements;
  await getDb(env).batch([first, ...rest]);
  await afterAccessCommitted(env, effect.changes);
}

/** What an event does, as statements guarded by `guard` (the event not processed yet). */
async function effectOf(env: Env, event: Stripe.Event, guard: SQL): Promise<Effect> {
  switch (event.type) {
    case "checkout.session.completed":
      return checkoutEffect(env, requireStripe(env), event.data.object, guard);
    case "customer.subscription.created":
    case "customer.subscription.updated":
    case "customer.subscription.deleted":
      return settleById(env, requireStripe(env), event.data.object.id, guard);
    case "invoice.payment_failed":
      return settleById(env, requireStripe(env), subscriptionOfInvoice(event.data.object), guard);
    case "invoice.paid": {
      const invoice = event.data.object;
      const subscriptionId = subscriptionOfInvoice(invoice);
      if (!subscriptionId) return none;
      const stripe = requireStripe(env);
      const settled = await settleById(env, stripe, subscriptionId, guard);
      const pi = schema.stripePaymentIntents;
      const remembered = (await paymentIntentsOf(stripe, invoice)).map((paymentIntentId) =>
        getDb(env)
          .insert(pi)
          .select(rowWhere(pi, { paymentIntentId, subscriptionId }, guard))
          .onConflictDoNothing(),
      );
      return { statements: [...settled.statements, ...remembered], changes: settled.changes };
    }
    case "charge.refunded": {
      const stripe = requireStripe(env);
      const subscriptionId = await subscriptionOfCharge(env, stripe, event.data.object);
      if (!subscriptionId) return none;
      const sub = await retrieveSubscription(stripe, subscriptionId);
      const communityId = sub?.metadata?.enclave_community;
      if (!sub || !communityId || (await refundPolicyOf(env, communityId)) === "keep") return none;
      // settled with its siblings: a refund of a duplicate cancelled by ADR 040 (or any other
      // subscription of the member) never takes the tier the surviving one pays for
      return fromSettlement(await settleWithSiblings(env, stripe, await endNow(stripe, sub), { guard }));
    }
    default:
      return none;
  }
}

/**
 * Process a verified event once: a replay (its id has a row) does nothing and answers
 * "duplicate". Otherwise the effect's statements, each guarded by "no row for this id yet", and
 * then the event's row go in one D1 batch — D1 runs a batch's statements one after another with
 * nothing in between, so of two deliveries racing, one writes the effect and the row, the other
 * nothing. Unhandled types and events naming things Enclave does not have are recorded only.
 * Throws 502 `stripe_unavailable` when Stripe fails, or what D1 threw (5xx either way: Stripe retries).
 */
export async function processStripeEvent(env: Env, event: Stripe.Event): Promise<"processed" | "duplicate"> {
  if (await processed(env, event.id)) return "duplicate";
  const guard = notProcessed(event.id);
  // a Stripe failure is 502 stripe_unavailable: Stripe retries, nothing was written
  const effect = await viaStripe(() => effectOf(env, event, guard));
  const e = schema.stripeEvents;
  const record = getDb(env).insert(e).values({ id: event.id, type: event.type, receivedAt: new Date() }).onConflictDoNothing();
  const statements: Statement[] = [...effect.statements, record];
  await getDb(env).batch(statements as [Statement, ...Statement[]]);
  await afterAccessCommitted(env, effect.changes);
  return "processed";
}
