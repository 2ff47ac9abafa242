// Billing's wire shapes (ADR 037): the owner's settings and catalog, the public pricing page,
// checkout and portal. Amounts are integers in the currency's minor units as Stripe counts them.
import { z } from "@hono/zod-openapi";
import { SUPPORTED_CURRENCIES } from "../../billing/currency";
import { refundPolicies } from "../../db/schema";
import { tierKeys } from "../../lib/vocabulary";

const Interval = z.enum(["month", "year"]);
const PaidTier = z.enum(["member", "vip"]);
/** Minor units; the currency's own rules (whole units for TWD, 0-ending for KWD, …) are checked against the saved currency. */
const Amount = z.number().int().positive().openapi({ description: "minor units as Stripe counts them (TWD 300 → 30000, JPY 500 → 500)", example: 30000 });

export const MoneySchema = z.object({ amount: z.number().int(), currency: z.string().openapi({ example: "twd" }) }).openapi("Money");
export const IntervalPricesSchema = z.object({ month: MoneySchema.nullable(), year: MoneySchema.nullable() });

export const BillingSettingsSchema = z
  .object({
    currency: z.string().openapi({ description: "lowercase ISO 4217", example: "twd" }),
    allowPromotionCodes: z.boolean(),
    graceDays: z.number().int().min(0).max(60).openapi({ description: "days a past-due subscription keeps its tier, counted from when it first fell past due; a change applies at once to members already past due (up or down)" }),
    refundPolicy: z.enum(refundPolicies).openapi({ description: "on a refund: revoke the tier (cancel now) or keep it" }),
    pricingPublished: z.boolean(),
  })
  .openapi("BillingSettings");

export const BillingSchema = z
  .object({
    configured: z.boolean(),
    mode: z.enum(["stripe", "stand-in"]).nullable(),
    settings: BillingSettingsSchema,
    tiers: z.array(
      z.object({
        key: PaidTier,
        name: z.string(),
        trialDays: z.number().int(),
        prices: IntervalPricesSchema.openapi({ description: "on sale: Stripe has these Prices" }),
        drafts: IntervalPricesSchema.openapi({ description: "set but not on sale: prices Stripe does not have yet (PATCH …/tiers/:key, a new community's defaults); give them in this PUT to sell them" }),
      }),
    ),
  })
  .openapi("Billing");

/** A currency Stripe and the table in billing/currency.ts both know, any case in, lowercase out. */
const CurrencyField = z
  .string()
  .toLowerCase()
  .refine((c) => SUPPORTED_CURRENCIES.includes(c), { message: "Not a supported currency", params: { reason: "currency_unsupported" } })
  .openapi({ description: "ISO 4217 (any case); stored lowercase", example: "TWD" });

export const UpdateBillingBody = BillingSettingsSchema.omit({ pricingPublished: true })
  .partial()
  .extend({
    currency: CurrencyField.optional(),
    tiers: z
      .array(
        z.object({
          key: PaidTier,
          trialDays: z.number().int().min(0).max(730).optional().openapi({ description: "0–730 (Stripe's limit)" }),
          month: Amount.nullable().optional().openapi({ description: "null withdraws the price" }),
          year: Amount.nullable().optional(),
        })
        // GET …/billing's shape (prices: {month: {amount}}) sent back would otherwise change nothing, silently
        .strict(),
      )
      .max(2)
      .refine((ts) => new Set(ts.map((t) => t.key)).size === ts.length, { message: "Each tier once" })
      .optional(),
  })
  .strict();

export const PricingBody = z.object({ published: z.boolean() }).strict();

/**
 * Why someone cannot buy any tier in a community, whatever they pick (ADR 040, 041; billing/checkout.ts
 * checkoutRefusalOf): `role_grants_every_tier` — the owner and admins already see every space
 * (domain/discussions/access.ts), so there is nothing to sell them; `banned` — banned there (checkout
 * answers them 404, as every route of the community); `manage_in_portal` — a live subscription here
 * (plan changes go through the portal, never a second subscription). Checkout answers
 * `role_grants_every_tier` and `manage_in_portal` with 409 `already_subscribed` carrying this `reason`.
 */
export const checkoutRefusals = ["role_grants_every_tier", "banned", "manage_in_portal"] as const;
export type CheckoutRefusal = (typeof checkoutRefusals)[number];

/** Why the caller cannot buy here at all (checkoutRefusals), null when they can: the page shows no Subscribe button then. */
export const CheckoutRefusalField = z.enum(checkoutRefusals).nullable().openapi({
  description:
    "null: the caller may buy (tiers they already hold are still refused one by one). role_grants_every_tier: the owner or an admin, who see every space already. banned: banned from this community. manage_in_portal: a live subscription here; plan changes go through the billing portal.",
  example: null,
});

/** Whether checkout would give the caller a tier's free trial here now (billing/checkout.ts buyerStandingOf, ADR 041). */
export const TrialEligibleField = z.boolean().openapi({
  description:
    "true: payments are configured, checkoutRefusal is null and the caller never had a subscription in this community (any status, any tier), so a tier's trialDays apply to their checkout; false: no trial (checkout starts paid at once, or cannot start). true for a signed-out caller where payments are configured.",
  example: true,
});

export const PricingPageSchema = z
  .object({
    community: z.object({ name: z.string(), description: z.string(), slug: z.string() }),
    currency: z.string(),
    tiers: z.array(z.object({ key: z.enum(tierKeys), name: z.string(), description: z.string(), trialDays: z.number().int(), prices: IntervalPricesSchema })),
    checkoutRefusal: CheckoutRefusalField,
    trialEligible: TrialEligibleField,
  })
  .openapi("PricingPage");

export const CheckoutBody = z.object({ tier: z.enum(tierKeys), interval: Interval }).strict();
export const RedirectSchema = z.object({ url: z.string().openapi({ description: "the Stripe page to send the browser to" }) });
