// The one place the `stripe` SDK is made (CONVENTIONS §13: outside services behind a thin adapter).
// In Workers it must use the fetch HTTP client; STRIPE_API_BASE points it at the stand-in
// (scripts/stripe-stand-in) for tests and offline `npm start` (ADR 037).
import Stripe from "stripe";

/** Which Stripe the deployment talks to: the real API, the local stand-in, or none. */
export type StripeMode = "stripe" | "stand-in" | null;

type StripeEnv = Pick<Env, "STRIPE_SECRET_KEY" | "STRIPE_API_BASE">;

const secretKey = (env: StripeEnv) => (env.STRIPE_SECRET_KEY ?? "").trim();
const apiBase = (env: StripeEnv) => (env.STRIPE_API_BASE ?? "").trim();

/**
 * The SDK for this deployment's Stripe account, or `null` when payments are not configured
 * (STRIPE_SECRET_KEY empty). With STRIPE_API_BASE (`http://127.0.0.1:12111`) the SDK's
 * host/port/protocol point there instead of api.stripe.com. The key is only ever handed to the
 * SDK: never log it or put it in an answer.
 * @throws Error when STRIPE_API_BASE is set but not an http(s) URL (a deployment mistake)
 */
export function stripeFor(env: StripeEnv): Stripe | null {
  const key = secretKey(env);
  if (!key) return null;
  const base = apiBase(env);
  const config: Stripe.StripeConfig = {
    httpClient: Stripe.createFetchHttpClient(),
    // one retry on a network error, with the SDK's own idempotency key, as the SDK's default
    maxNetworkRetries: 1,
    appInfo: { name: "Enclave" },
  };
  if (base) {
    const url = new URL(base);
    if (url.protocol !== "http:" && url.protocol !== "https:") throw new Error("STRIPE_API_BASE must be an http(s) URL");
    config.host = url.hostname;
    config.port = url.port ? Number(url.port) : url.protocol === "https:" ? 443 : 80;
    config.protocol = url.protocol === "https:" ? "https" : "http";
  }
  return new Stripe(key, config);
}

/** "stand-in" when STRIPE_API_BASE points elsewhere than Stripe, "stripe" with a key alone, null without a key. */
export function stripeMode(env: StripeEnv): StripeMode {
  if (!secretKey(env)) return null;
  return apiBase(env) ? "stand-in" : "stripe";
}

/** The origins a member's browser is sent to for checkout and the portal (the page CSP allows them). */
export function stripePageOrigins(env: StripeEnv): string[] {
  const mode = stripeMode(env);
  if (mode === null) return [];
  if (mode === "stand-in") return [new URL(apiBase(env)).origin];
  return ["https://checkout.stripe.com", "https://billing.stripe.com"];
}
