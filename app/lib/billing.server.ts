// The billing pages call billing's use cases (workers/billing/*) with the request's reader, as
// the billing routes do (ADR 039 addendum): one path for both, refusals as Outcomes.
import { redirect } from "react-router";
import type { CloudflareContext } from "../context";
import { attempt, type Outcome } from "./use-case.server";
import { safeNext } from "./forms.server";
import { billingPath, intervals, paidTierKeys, planIsLive, type Interval, type PaidTierKey } from "./billing";
import { requireReaderUser, type CommunityAccess, type MemberAccess } from "../../workers/domain/access";
import { readPricingPage } from "../../workers/billing/catalog";
import { buyerStandingIn, openBuyer, openPortal, startCheckout } from "../../workers/billing/checkout";
import { stripeMode } from "../../workers/billing/client";
import { requireStripe } from "../../workers/billing/errors";
import { readMyBilling, returnOrigin } from "../../workers/billing/reads";
import type { CheckoutRefusal } from "../../workers/domain/schemas/billing";

/**
 * Whether this deployment can take payments at all: a Stripe key (real, or the local stand-in's)
 * is set — `stripeFor(env)` is not null, GET …/billing says `configured: true`. Without one every
 * checkout and portal call answers 409 payments_not_configured, so no page shows a button that
 * starts one (issue 14 finding 1): members and visitors see that buying is not available yet.
 */
export const paymentsConfigured = (env: Env) => stripeMode(env) !== null;

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
 * Opens the reader's Stripe customer portal for `slug` as POST …/billing/portal does: `{url}`, or
 * the refusal (401; 404 not_found for someone with no Customer there, member or not; 409; 502).
 * A former member with a Customer there opens it too (their receipts and running plan).
 */
export function portalFor(cf: CloudflareContext, request: Request, slug: string): Promise<Outcome<{ url: string }>> {
  return attempt(async () => {
    const user = await requireReaderUser(cf.reader);
    return openPortal(cf.env, slug, cf.reader, user, returnOrigin(cf.env, request.url));
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
 * configured — `paymentsConfigured` —, no price) — then the page shows a link to the plans, not a button that fails.
 */
export async function upgradeOffer(cf: CloudflareContext, slug: string, tier: string): Promise<UpgradeOffer | null> {
  if (!(paidTierKeys as readonly string[]).includes(tier) || !paymentsConfigured(cf.env)) return null;
  const pricing = await attempt(() => readPricingPage(cf.env, slug));
  const prices = pricing.ok ? pricing.data.tiers.find((x) => x.key === tier)?.prices : undefined;
  if (!prices) return null;
  const interval = prices.month ? "month" : prices.year ? "year" : null;
  return interval ? { tier: tier as PaidTierKey, interval } : null;
}

/**
 * The reader's place in `slug` (null: no such community, or signed out) and why checkout would
 * refuse them whatever the tier — the `checkoutRefusal` GET …/pricing answers (api/billing.ts asks
 * `checkoutRefusalOf` the same way): the owner and admins, a live plan to change in the portal,
 * a ban, or a value added later. Null for a signed-out reader, who signs up first. `trialEligible`
 * as GET …/pricing answers it (buyerStandingIn, the same call).
 */
export async function pricingRefusal(cf: CloudflareContext, slug: string): Promise<{ access: CommunityAccess | null; refusal: CheckoutRefusal | null; trialEligible: boolean }> {
  const standing = await buyerStandingIn(cf.env, slug, cf.reader);
  return { access: standing.access, refusal: standing.checkoutRefusal, trialEligible: standing.trialEligible };
}

/**
 * A member's plan as the Leave question tells it: the tier they pay for (or try), when the paid
 * period or the trial ends (ISO, UTC), whether it would renew, and whether it is a free trial
 * (nothing paid yet: the Leave question must not say they paid).
 */
export type PaidPlan = { tier: string; periodEnd: string | null; renewing: boolean; trialing: boolean };

/**
 * What a member who leaves gives up that they paid for (issue 14 finding 6): their live plan
 * (readMyBilling's, the one that counts most), or null with none. Leaving ends access at once and
 * the departure handler (billing/settle-cancellations.ts `cancelOnDeparture`) sets the plan to
 * cancel at period end, so the Leave question says so before they confirm.
 */
export async function paidPlanOf(env: Env, member: MemberAccess): Promise<PaidPlan | null> {
  const sub = (await readMyBilling(env, member)).subscription;
  if (!sub || !planIsLive(sub.status)) return null;
  const trialing = sub.status === "trialing";
  return { tier: sub.tier, periodEnd: (trialing ? sub.trialEnd : null) ?? sub.currentPeriodEnd, renewing: !sub.cancelAtPeriodEnd, trialing };
}
