// The owner's and member's billing routes (ADR 037, API.md "Billing"): settings and price sync,
// the public pricing page, checkout and the customer portal. The webhook and what it settles,
// billing/me and the checkout poll live beside this in payhooks' files.
import { createRoute } from "@hono/zod-openapi";
import { type MemberAccess } from "../domain/access";
import { publishBilling, readBilling, readPricingPage, setPricingPublished } from "../billing/catalog";
import { buyerStandingIn, openBuyer, openPortal, startCheckout } from "../billing/checkout";
import { requireStripe } from "../billing/errors";
import { billingMember, returnOrigin } from "../billing/reads";
import { errorResponses } from "../domain/schemas/common";
import { SlugParam } from "../domain/schemas/communities";
import { BillingSchema, CheckoutBody, PricingBody, PricingPageSchema, RedirectSchema, UpdateBillingBody } from "../domain/schemas/billing";
import { createRouter, requireUser, type AppContext } from "./factory";
import { requireCommunity } from "./guards";
import { jsonBody, jsonResponse } from "./route-helpers";

export const billing = createRouter();
const tags = ["billing"];

/**
 * The caller as an active member of `slug` with at least `role`: 401 signed out; 404 for anyone
 * below admin (billing is not theirs to know about); 403 for an admin where the owner is needed.
 */
async function requireBillingMember(c: AppContext, slug: string, role: "member" | "admin" | "owner"): Promise<MemberAccess> {
  await requireUser(c);
  return billingMember(await requireCommunity(c, slug), role);
}

/** Where Stripe sends the browser back: the app's public origin (APP_ORIGIN), else this request's. */
const appOrigin = (c: AppContext) => returnOrigin(c.env, c.req.url);

billing.openapi(
  createRoute({
    method: "get",
    path: "/communities/{slug}/billing",
    tags,
    summary: "Billing settings and prices (owner and admins); `configured` says whether Stripe is set up",
    request: { params: SlugParam },
    responses: { 200: jsonResponse(BillingSchema, "Settings and the prices on sale"), ...errorResponses(401, 403, 404) },
  }),
  async (c) => {
    const access = await requireBillingMember(c, c.req.valid("param").slug, "admin");
    return c.json(await readBilling(c.env, access.community.id), 200);
  },
);

billing.openapi(
  createRoute({
    method: "put",
    path: "/communities/{slug}/billing",
    tags,
    summary: "Save billing settings and publish prices to Stripe (owner); a changed amount makes a new Stripe Price and archives the old",
    request: { params: SlugParam, ...jsonBody(UpdateBillingBody) },
    responses: {
      200: jsonResponse(BillingSchema, "Saved and synced"),
      ...errorResponses(400, 401, 403, 404, 409, 415, 502),
    },
  }),
  async (c) => {
    const access = await requireBillingMember(c, c.req.valid("param").slug, "owner");
    const stripe = requireStripe(c.env);
    return c.json(await publishBilling(c.env, stripe, access, c.req.valid("json")), 200);
  },
);

billing.openapi(
  createRoute({
    method: "get",
    path: "/communities/{slug}/pricing",
    tags,
    summary:
      "The public pricing page once the owner published it (also for a private community: name, description, tiers, prices — never content); `checkoutRefusal` says why a signed-in caller cannot buy (the owner and admins, a ban, or a live subscription); `trialEligible` whether checkout would give them a tier's trial (payments configured, no refusal, never had a subscription here)",
    request: { params: SlugParam },
    responses: { 200: jsonResponse(PricingPageSchema, "The pricing page"), ...errorResponses(404) },
  }),
  async (c) => {
    const slug = c.req.valid("param").slug;
    const page = await readPricingPage(c.env, slug);
    const { checkoutRefusal, trialEligible } = await buyerStandingIn(c.env, slug, c.get("reader"));
    // the answer depends on who asks
    c.header("Cache-Control", "private, no-store");
    return c.json({ ...page, checkoutRefusal, trialEligible }, 200);
  },
);

billing.openapi(
  createRoute({
    method: "patch",
    path: "/communities/{slug}/pricing",
    tags,
    summary: "Publish or withdraw the pricing page (owner)",
    request: { params: SlugParam, ...jsonBody(PricingBody) },
    responses: { 200: jsonResponse(PricingBody, "Whether it is published now"), ...errorResponses(400, 401, 403, 404, 415) },
  }),
  async (c) => {
    const access = await requireBillingMember(c, c.req.valid("param").slug, "owner");
    return c.json(await setPricingPublished(c.env, access, c.req.valid("json").published), 200);
  },
);

billing.openapi(
  createRoute({
    method: "post",
    path: "/communities/{slug}/checkout",
    tags,
    summary: "Start Stripe Checkout for a paid tier and interval (members, and anyone not yet in the community where the owner published pricing: buying is joining); answers the page to open",
    request: { params: SlugParam, ...jsonBody(CheckoutBody) },
    responses: { 200: jsonResponse(RedirectSchema, "The checkout page"), ...errorResponses(400, 401, 404, 409, 415, 429, 502) },
  }),
  async (c) => {
    const user = await requireUser(c);
    const buyer = await openBuyer(c.env, c.req.valid("param").slug, c.get("reader"));
    const stripe = requireStripe(c.env);
    return c.json(await startCheckout(c.env, stripe, buyer, user, c.req.valid("json"), appOrigin(c)), 200);
  },
);

billing.openapi(
  createRoute({
    method: "post",
    path: "/communities/{slug}/billing/portal",
    tags,
    summary:
      "Open the Stripe customer portal for the caller's Customer in this community (cards, invoices, cancel, plan changes within this community): for a member, and for anyone who has a Customer here after leaving, removal or a ban (their receipts and the plan that runs to its period's end stay theirs; they return to /settings/billing); 404 for anyone with no Customer here",
    request: { params: SlugParam },
    responses: { 200: jsonResponse(RedirectSchema, "The portal page"), ...errorResponses(401, 404, 409, 502) },
  }),
  async (c) => {
    const user = await requireUser(c);
    return c.json(await openPortal(c.env, c.req.valid("param").slug, c.get("reader"), user, appOrigin(c)), 200);
  },
);
