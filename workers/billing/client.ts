// The Stripe SDK as this deployment configures it (ADR 037). Thin stand-in for paycore's client:
// replaced by theirs on merge.
import Stripe from "stripe";
import { DomainError } from "../lib/errors";

/** The env keys billing reads; optional, since a deployment may run without payments. */
export type StripeEnv = { STRIPE_SECRET_KEY?: string; STRIPE_WEBHOOK_SECRET?: string; STRIPE_API_BASE?: string };

const stripeEnv = (env: Env): StripeEnv => env as unknown as StripeEnv;

/** 409 `payments_not_configured`: no secret key in env. */
export const paymentsNotConfigured = () =>
  new DomainError(409, "payments_not_configured", "Payments are not configured: set STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET (or run npm start in DEV_MODE for the stand-in).");

/** Whether a secret key is set. */
export const paymentsConfigured = (env: Env) => Boolean(stripeEnv(env).STRIPE_SECRET_KEY);

/**
 * The SDK over fetch (workerd has no Node http), pointed at STRIPE_API_BASE when set (the local
 * stand-in, e.g. http://127.0.0.1:12111). Throws 409 payments_not_configured without a key.
 */
export function stripeFor(env: Env): Stripe {
  const { STRIPE_SECRET_KEY: key, STRIPE_API_BASE: base } = stripeEnv(env);
  if (!key) throw paymentsNotConfigured();
  const url = base ? new URL(base) : null;
  return new Stripe(key, {
    httpClient: Stripe.createFetchHttpClient(),
    maxNetworkRetries: 1,
    ...(url ? { host: url.hostname, port: Number(url.port || (url.protocol === "https:" ? 443 : 80)), protocol: url.protocol === "https:" ? "https" : "http" } : {}),
  });
}

/** The webhook signing secret, or null when payments are not configured. */
export const webhookSecret = (env: Env): string | null => stripeEnv(env).STRIPE_WEBHOOK_SECRET || null;
