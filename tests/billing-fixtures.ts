// Fixtures for the billing tests: the real SDK pointed at the stand-in (tests/stripe-global-setup.ts),
// its JSON test controls, and an owner publishing prices through the API.
import { env } from "cloudflare:workers";
import { expect } from "vitest";
import { stripeFor } from "../workers/billing/client";
import { call } from "./helpers";
import type { TestCommunity } from "./community-fixtures";

/** The SDK as the Worker makes it (STRIPE_API_BASE → the stand-in). */
export const stripe = stripeFor(env)!;

/** A stand-in path (`/_stand-in/…`, `/checkout/…`) fetched from the test, as a browser or test control would. */
export const standIn = (path: string, init?: RequestInit) => fetch(`${env.STRIPE_API_BASE}${path}`, init);

/** The stand-in's record of what a checkout session was created with (its `subscription_data` is not on the Session object). */
export async function checkoutAsStored(sessionId: string): Promise<{ session: any; params: any }> {
  return (await standIn(`/_stand-in/checkout/${sessionId}`)).json();
}

/** Presses Pay on the test checkout page at `url`; answers the redirect's Location. */
export async function payAt(url: string, promotionCode = ""): Promise<string | null> {
  const res = await fetch(`${url}/pay`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ promotion_code: promotionCode }),
    redirect: "manual",
  });
  expect(res.status).toBe(303);
  return res.headers.get("location");
}

export type Prices = Partial<Record<"member" | "vip", { month?: number | null; year?: number | null; trialDays?: number }>>;

/** PUT /billing as the owner with `prices` (minor units) in `currency`; expects 200 and answers the body. */
export async function publishPrices(community: TestCommunity, prices: Prices, extra: Record<string, unknown> = {}, currency = "twd") {
  const res = await call(`/api/v1/communities/${community.slug}/billing`, {
    method: "PUT",
    as: community.owner,
    body: { currency, ...extra, tiers: Object.entries(prices).map(([key, p]) => ({ key, ...p })) },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
}
