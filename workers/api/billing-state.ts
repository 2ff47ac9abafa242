// What billing reads back (ADR 037 "Routes"): a member's own plan, whether a checkout has landed,
// and the owner's revenue — all from stored rows; only a checkout not landed yet asks Stripe
// whose session it is.
import { createRoute, z } from "@hono/zod-openapi";
import { and, desc, eq, isNull, sql } from "drizzle-orm";
import Stripe from "stripe";
import { getDb, schema } from "../db/client";
import { tierKeys, type TierKey } from "../lib/vocabulary";
import { forbidden, notFound } from "../lib/errors";
import { effectiveTier } from "../domain/access";
import { errorResponses, IsoDate } from "../domain/schemas/common";
import { SlugParam } from "../domain/schemas/communities";
import { readRevenue } from "../billing/revenue";
import { rowEnded, tierRankSql } from "../billing/settle";
import { stripeFor } from "../billing/client";
import { viaStripe } from "../billing/errors";
import { checkoutRefusalOf } from "../billing/checkout";
import { CheckoutRefusalField } from "../domain/schemas/billing";
import { createRouter, requireUser } from "./factory";
import { requireCommunity, requireMember } from "./guards";
import { jsonResponse } from "./route-helpers";

export const billingState = createRouter();
const tags = ["billing"];
const s = schema.subscriptions;

const MySubscription = z
  .object({
    tier: z.enum(tierKeys),
    status: z.string().openapi({ example: "active" }),
    interval: z.enum(["month", "year"]),
    amount: z.number().int().openapi({ description: "minor units per interval" }),
    currency: z.string(),
    currentPeriodEnd: IsoDate.nullable(),
    cancelAtPeriodEnd: z.boolean(),
    trialEnd: IsoDate.nullable(),
  })
  .openapi("MySubscription");
const MyBilling = z
  .object({
    subscription: MySubscription.nullable(),
    paidTier: z.enum(tierKeys),
    compTier: z.enum(tierKeys).nullable(),
    tier: z.enum(tierKeys),
    checkoutRefusal: CheckoutRefusalField,
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
  })
  .openapi("Revenue");
const SessionParam = SlugParam.extend({ sessionId: z.string().min(1).max(255) });

const iso = (d: Date | null) => (d ? d.toISOString() : null);

billingState.openapi(
  createRoute({
    method: "get",
    path: "/communities/{slug}/billing/me",
    tags,
    summary: "The caller's plan in the community: the subscription that counts most, paid, comp and effective tier, and `checkoutRefusal` (why they cannot buy, or null)",
    request: { params: SlugParam },
    responses: { 200: jsonResponse(MyBilling, "The caller's billing state"), ...errorResponses(401, 403, 404) },
  }),
  async (c) => {
    const access = await requireMember(c, c.req.valid("param").slug);
    const p = schema.prices;
    // a live subscription before an ended one, the higher tier first, then the newest
    const [row] = await getDb(c.env)
      .select({ sub: s, priceAmount: p.amount })
      .from(s)
      .leftJoin(p, eq(p.id, s.priceId))
      .where(and(eq(s.communityId, access.community.id), eq(s.userId, access.membership.userId)))
      .orderBy(sql`case when ${rowEnded} then 1 else 0 end`, desc(tierRankSql(sql`${s.tierKey}`)), desc(s.createdAt))
      .limit(1);
    const sub = row?.sub;
    const checkoutRefusal = await checkoutRefusalOf(c.env, access.community.id, access.membership, access.membership.userId);
    c.header("Cache-Control", "no-store");
    return c.json(
      {
        subscription: sub
          ? {
              tier: sub.tierKey,
              status: sub.status,
              interval: sub.interval,
              amount: row.priceAmount ?? sub.mrr * (sub.interval === "year" ? 12 : 1),
              currency: sub.currency,
              currentPeriodEnd: iso(sub.currentPeriodEnd),
              cancelAtPeriodEnd: sub.cancelAtPeriodEnd,
              trialEnd: iso(sub.trialEnd),
            }
          : null,
        paidTier: access.membership.paidTier,
        compTier: access.membership.compTier,
        tier: effectiveTier(access.membership),
        checkoutRefusal,
      },
      200,
    );
  },
);

/** Whose checkout session it is, by its metadata; null when Stripe has no such session. */
async function sessionOwner(env: Env, sessionId: string): Promise<{ userId: string; communityId: string; tier: TierKey } | null> {
  const stripe = stripeFor(env);
  if (!stripe) return null;
  // a session Stripe does not know is nobody's; any other failure is 502 stripe_unavailable
  const session = await viaStripe(() =>
    stripe.checkout.sessions.retrieve(sessionId).catch((error: unknown) => (error instanceof Stripe.errors.StripeInvalidRequestError ? null : Promise.reject(error))),
  );
  const { enclave_user: userId, enclave_community: communityId, enclave_tier: tier } = session?.metadata ?? {};
  if (!userId || !communityId || !(tierKeys as readonly string[]).includes(tier ?? "")) return null;
  return { userId, communityId, tier: tier as TierKey };
}

billingState.openapi(
  createRoute({
    method: "get",
    path: "/communities/{slug}/billing/checkout/{sessionId}",
    tags,
    summary: "Whether a checkout's webhook has landed (the success page polls this); only the session's own user",
    request: { params: SessionParam },
    responses: { 200: jsonResponse(CheckoutState, "waiting or done"), ...errorResponses(401, 404) },
  }),
  async (c) => {
    const { slug, sessionId } = c.req.valid("param");
    const user = await requireUser(c);
    // a visitor who bought from the pricing page may not be a member of the private community yet
    const cm = schema.communities;
    const [community] = await getDb(c.env).select({ id: cm.id }).from(cm).where(and(eq(cm.slug, slug), isNull(cm.deletedAt))).limit(1);
    if (!community) throw notFound("No such checkout.");
    c.header("Cache-Control", "no-store");
    const [landed] = await getDb(c.env)
      .select({ userId: s.userId, tier: s.tierKey })
      .from(s)
      .where(and(eq(s.checkoutSessionId, sessionId), eq(s.communityId, community.id)))
      .limit(1);
    if (landed) {
      if (landed.userId !== user.id) throw notFound("No such checkout.");
      return c.json({ state: "done" as const, tier: landed.tier }, 200);
    }
    const owner = await sessionOwner(c.env, sessionId);
    if (!owner || owner.userId !== user.id || owner.communityId !== community.id) throw notFound("No such checkout.");
    return c.json({ state: "waiting" as const, tier: owner.tier }, 200);
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
    const access = await requireCommunity(c, c.req.valid("param").slug);
    if (access.role === "admin") throw forbidden("Only the owner sees revenue.");
    if (access.role !== "owner") throw notFound("No such community.");
    c.header("Cache-Control", "no-store");
    return c.json(await readRevenue(c.env, access.community.id), 200);
  },
);
