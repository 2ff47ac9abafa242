// The billing refusals every billing route shares (ADR 037), in API.md's envelope.
import Stripe from "stripe";
import { DomainError } from "../lib/errors";
import { stripeFor } from "./client";

/** Where the operator reads how to turn payments on (README section). */
export const PAYMENTS_DOCS = "README.md#payments-stripe";

/** 409 `payments_not_configured`: no STRIPE_SECRET_KEY on this deployment; `docs` says how to set one. */
export const paymentsNotConfigured = () =>
  new DomainError(
    409,
    "payments_not_configured",
    "Payments are not configured on this Enclave. The operator sets STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET (wrangler secret put, or .dev.vars locally) and forwards Stripe's webhooks to /api/v1/webhooks/stripe.",
    { docs: PAYMENTS_DOCS },
  );

/** The SDK for this deployment; throws 409 `payments_not_configured` without a key. */
export function requireStripe(env: Env): Stripe {
  const stripe = stripeFor(env);
  if (!stripe) throw paymentsNotConfigured();
  return stripe;
}

/**
 * Runs one Stripe call; any Stripe failure (network, 5xx, a refused request) becomes 502
 * `stripe_unavailable` so the caller writes nothing. Stripe's own message is not passed on: it
 * can name account details; its `code` is (`stripeCode`), for support.
 */
export async function viaStripe<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof Stripe.errors.StripeError) {
      console.warn("stripe call failed", { type: err.type, code: err.code, status: err.statusCode, requestId: err.requestId });
      throw new DomainError(502, "stripe_unavailable", "Stripe could not be reached or refused the change; nothing was saved. Try again.", {
        ...(err.code ? { stripeCode: err.code } : {}),
      });
    }
    throw err;
  }
}
