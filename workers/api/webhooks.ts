// POST /api/v1/webhooks/stripe (API.md "Billing", ADR 037): the raw body is read first (bounded),
// then verified, then processed once. Exempt from the Origin check and the JSON middleware
// (api/middleware.ts), nothing else.
import { createRoute, z } from "@hono/zod-openapi";
import { readWithin } from "../lib/limited-body";
import { MAX_WEBHOOK_BYTES, processStripeEvent, verifiedEvent } from "../billing/webhook";
import { errorResponses } from "../domain/schemas/common";
import { createRouter } from "./factory";
import { jsonResponse } from "./route-helpers";

export const webhooks = createRouter();

const Received = z.object({ received: z.literal(true), duplicate: z.boolean() }).openapi("WebhookReceived");

webhooks.openapi(
  createRoute({
    method: "post",
    path: "/webhooks/stripe",
    tags: ["billing"],
    summary: "Stripe's webhook: a signed event, processed once (replays answer 200 and change nothing)",
    responses: {
      200: jsonResponse(Received, "Verified and processed, or a replay"),
      ...errorResponses(400, 409, 413),
      502: { description: "stripe_unavailable: Stripe could not be asked; nothing was written and Stripe retries" },
    },
  }),
  async (c) => {
    const body = await readWithin(c.req.raw.body, MAX_WEBHOOK_BYTES);
    const event = await verifiedEvent(c.env, body, c.req.header("Stripe-Signature"));
    const outcome = await processStripeEvent(c.env, event);
    return c.json({ received: true as const, duplicate: outcome === "duplicate" }, 200);
  },
);
