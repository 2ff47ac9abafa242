// The billing pages call billing's use cases (workers/billing/*) with the request's reader, as
// the billing routes do (ADR 039 addendum): one path for both, refusals as Outcomes.
import { redirect } from "react-router";
import type { CloudflareContext } from "../context";
import { attempt, type Outcome } from "./use-case.server";
import { safeNext } from "./forms.server";
import { billingPath, intervals, paidTierKeys, type Interval, type PaidTierKey } from "./billing";
import { openCommunity, requireReaderUser } from "../../workers/domain/access";
import { readPricingPage } from "../../workers/billing/catalog";
import { openBuyer, openPortal, startCheckout } from "../../workers/billing/checkout";
import { requireStripe } from "../../workers/billing/errors";
import { billingMember, returnOrigin } from "../../workers/billing/reads";

/**
 * Starts a Stripe Checkout for `choice` as POST …/checkout does (the same guards in the same
 * order: signed in, a buyer in `slug`, payments configured): `{url}` of the checkout page, or the
 * refusal (401, 404, 409 already_subscribed / price_not_published / payments_not_configured, 429, 502).
 */
export function checkoutFor(cf: CloudflareContext, request: Request, slug: string, choice: { tier: PaidTierKey; interval: Interval }): Promise<Outcome<{ url: string }>> {
  return attempt(async () => {
    const user = await requireReaderUser(cf.reader);
    const buyer = await openBuyer(cf.env, slug, cf.reader);
    return startCheckout(cf.env, requireStripe(cf.env), buyer, user, choice, returnOrigin(cf.env, request.url));
  });
}

/**
 * Opens the member's Stripe customer portal as POST …/billing/portal does: `{url}`, or the
 * refusal (401; 404 not_found for a non-member or a member who never checked out; 409; 502).
 */
export function portalFor(cf: CloudflareContext, request: Request, slug: string): Promise<Outcome<{ url: string }>> {
  return attempt(async () => {
    const user = await requireReaderUser(cf.reader);
    const member = billingMember(await openCommunity(cf.env, slug, cf.reader), "member");
    return openPortal(cf.env, requireStripe(cf.env), member, user, returnOrigin(cf.env, request.url));
  });
}

/** The tier and interval a checkout form names, or null for anything else (free is never sold). */
export function checkoutChoice(form: FormData): { tier: PaidTierKey; interval: Interval } | null {
  const tier = form.get("tier");
  const interval = form.get("interval") ?? "month";
  if (!(paidTierKeys as readonly unknown[]).includes(tier) || !(intervals as readonly unknown[]).includes(interval)) return null;
  return { tier: tier as PaidTierKey, interval: interval as Interval };
}

/**
 * A refusal sends the buyer back to the page they came from (`from`, a path of ours) with
 * `?billing_error=<code>`, which BillingNotice says in their language: the checkout and portal
 * forms sit on several pages, and each shows the same notice.
 */
export function backWithError(slug: string, from: string | null, code: string): Response {
  const target = new URL(safeNext(from, billingPath(slug)), "http://x");
  target.searchParams.set("billing_error", code);
  return redirect(target.pathname + target.search);
}

/** A tier the reader can buy right now, and the interval its button starts with. */
export type UpgradeOffer = { tier: PaidTierKey; interval: Interval };

/**
 * What an Upgrade button for `tier` should start: the published pricing's month price (else its
 * year price), or null when the tier is not on sale (pricing unpublished, payments not
 * configured, no price) — then the page shows a link to the plans, not a button that fails.
 */
export async function upgradeOffer(cf: CloudflareContext, slug: string, tier: string): Promise<UpgradeOffer | null> {
  if (!(paidTierKeys as readonly string[]).includes(tier)) return null;
  const pricing = await attempt(() => readPricingPage(cf.env, slug));
  const prices = pricing.ok ? pricing.data.tiers.find((x) => x.key === tier)?.prices : undefined;
  if (!prices) return null;
  const interval = prices.month ? "month" : prices.year ? "year" : null;
  return interval ? { tier: tier as PaidTierKey, interval } : null;
}
