// What billing reads back (ADR 037 "Routes"): a member's own plan, whether a checkout has landed,
// and the owner's revenue — from stored rows, except that a plan still running asks Stripe what
// it costs after discounts, and a checkout not landed yet asks Stripe whose session it is and
// settles it if Stripe says it is complete (ADR 038 addendum: catch-up after a missed webhook).
import { createRoute, z } from "@hono/zod-openapi";
import { tierKeys } from "../lib/vocabulary";
import { errorResponses, IsoDate, listOf, PageQuery } from "../domain/schemas/common";
import { SlugParam } from "../domain/schemas/communities";
import { readRevenue } from "../billing/revenue";
import { listBillingAccounts } from "../billing/accounts";
import { CommunityRef } from "../domain/schemas/user";
import { readCheckoutState, readMyBilling, revenueOwner } from "../billing/reads";
import { CheckoutRefusalField, TrialEligibleField } from "../domain/schemas/billing";
import { createRouter, requireUser } from "./factory";
import { requireCommunity, requireMember } from "./guards";
import { jsonResponse } from "./route-helpers";

export const billingState = createRouter();
const tags = ["billing"];

const MySubscription = z
  .object({
    tier: z.enum(tierKeys),
    status: z.string().openapi({ example: "active" }),
    interval: z.enum(["month", "year"]),
    amount: z.number().int().openapi({ description: "what the member pays per interval after their recurring discounts, minor units" }),
    listAmount: z.number().int().nullable().openapi({ description: "the price's list amount per interval (minor units) when discounts make it differ from amount, else null" }),
    currency: z.string(),
    currentPeriodEnd: IsoDate.nullable(),
    cancelAtPeriodEnd: z.boolean(),
    trialEnd: IsoDate.nullable(),
    graceEndsAt: IsoDate.nullable().openapi({
      description: "past_due only: when the plan stops granting its tier — the end of the community's grace days counted from when it first fell past due; null otherwise",
    }),
  })
  .openapi("MySubscription");
const MyBilling = z
  .object({
    subscription: MySubscription.nullable(),
    paidTier: z.enum(tierKeys),
    compTier: z.enum(tierKeys).nullable(),
    tier: z.enum(tierKeys),
    checkoutRefusal: CheckoutRefusalField,
    trialEligible: TrialEligibleField,
  })
  .openapi("MyBilling");
const CheckoutState = z.object({ state: z.enum(["waiting", "done"]), tier: z.enum(tierKeys) }).openapi("CheckoutState");
const RevenueSchema = z
  .object({
    currency: z.string(),
    mrr: z.array(z.object({ tier: z.enum(tierKeys), currency: z.string(), amount: z.number().int() })),
    subscribers: z.object({ active: z.number().int(), trialing: z.number().int(), pastDue: z.number().int() }),
    newThisMonth: z.number().int(),
    churnedThisMonth: z.number().int(),
    upgradeRate: z.number().nullable(),
    history: z.array(z.object({ month: z.string().openapi({ example: "2026-11" }), mrr: z.number().int() })),
    historyByCurrency: z.array(
      z.object({ currency: z.string(), history: z.array(z.object({ month: z.string(), mrr: z.number().int() })) }).openapi({
        description: "the same months per currency earned in (the community's first); never converted",
      }),
    ),
  })
  .openapi("Revenue");
const SessionParam = SlugParam.extend({ sessionId: z.string().min(1).max(255) });

billingState.openapi(
  createRoute({
    method: "get",
    path: "/communities/{slug}/billing/me",
    tags,
    summary:
      "The caller's plan in the community: the subscription that counts most, paid, comp and effective tier, `checkoutRefusal` (why they cannot buy, or null) and `trialEligible` (whether a tier's trial would still be theirs)",
    request: { params: SlugParam },
    responses: { 200: jsonResponse(MyBilling, "The caller's billing state"), ...errorResponses(401, 403, 404) },
  }),
  async (c) => {
    const access = await requireMember(c, c.req.valid("param").slug);
    c.header("Cache-Control", "no-store");
    return c.json(await readMyBilling(c.env, access), 200);
  },
);

const BillingAccounts = listOf(
      z.object({
        community: CommunityRef,
        member: z.boolean().openapi({ description: "whether the caller is an active member there now" }),
        plan: z
          .object({ tier: z.enum(tierKeys), tierName: z.string().nullable(), status: z.string(), currentPeriodEnd: IsoDate.nullable(), cancelAtPeriodEnd: z.boolean(), trialEnd: IsoDate.nullable() })
          .openapi({ description: "the subscription that counts most there (live before ended, higher tier, newest); tierName is the community's name for the tier" }),
      }),
).openapi("BillingAccounts");

billingState.openapi(
  createRoute({
    method: "get",
    path: "/me/billing",
    tags,
    summary:
      "Every community where the caller has a billing account (a Stripe Customer) that held a subscription, member or not — someone who left, was removed or banned still finds their plan and opens the portal there (POST …/billing/portal) for receipts and cancelling",
    request: { query: PageQuery },
    responses: { 200: jsonResponse(BillingAccounts, "The caller's billing accounts, by community name"), ...errorResponses(400, 401) },
  }),
  async (c) => {
    const user = await requireUser(c);
    c.header("Cache-Control", "no-store");
    return c.json(await listBillingAccounts(c.env, user.id, c.req.valid("query")), 200);
  },
);

billingState.openapi(
  createRoute({
    method: "get",
    path: "/communities/{slug}/billing/checkout/{sessionId}",
    tags,
    summary: "Whether a checkout has landed (the success page polls this; a session Stripe reports complete is settled here if its webhook was missed); only the session's own user",
    request: { params: SessionParam },
    responses: { 200: jsonResponse(CheckoutState, "waiting or done"), ...errorResponses(401, 404) },
  }),
  async (c) => {
    const { slug, sessionId } = c.req.valid("param");
    const user = await requireUser(c);
    const state = await readCheckoutState(c.env, slug, user.id, sessionId);
    c.header("Cache-Control", "no-store");
    return c.json(state, 200);
  },
);

billingState.openapi(
  createRoute({
    method: "get",
    path: "/communities/{slug}/revenue",
    tags,
    summary: "MRR by tier and currency, subscriber counts, new and churned this month, upgrade rate and six months of MRR (owner)",
    request: { params: SlugParam },
    responses: { 200: jsonResponse(RevenueSchema, "The community's revenue"), ...errorResponses(401, 403, 404) },
  }),
  async (c) => {
    await requireUser(c);
    const access = revenueOwner(await requireCommunity(c, c.req.valid("param").slug));
    c.header("Cache-Control", "no-store");
    return c.json(await readRevenue(c.env, access.community.id), 200);
  },
);
