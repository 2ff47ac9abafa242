// Runs the Stripe stand-in on its own:
//   node scripts/stripe-stand-in/main.mjs [--port 12111] [--state file.json]
// Environment: STRIPE_STAND_IN_STATE (state file, default .wrangler/state/stripe-stand-in.json),
// STRIPE_STAND_IN_WEBHOOK_URL (where events go; empty records them only), STRIPE_WEBHOOK_SECRET
// (signs them). `npm start` runs it this way in DEV_MODE without a real key.
// A delivery the app does not answer with a 2xx (stopped, restarting) is retried after 5, 15, 30
// and 60 s, as Stripe retries (server.mjs RETRY_DELAYS_MS); after that, or across a restart of the
// stand-in itself, POST /_stand-in/events/:id/redeliver sends one again.
import { parseArgs } from "node:util";
import { startStandIn } from "./server.mjs";

const { values } = parseArgs({
  options: {
    port: { type: "string", default: process.env.STRIPE_STAND_IN_PORT ?? "12111" },
    state: { type: "string", default: process.env.STRIPE_STAND_IN_STATE ?? ".wrangler/state/stripe-stand-in.json" },
  },
});
const webhookSecret = process.env.STRIPE_WEBHOOK_SECRET ?? "";
if (!webhookSecret) {
  console.error("[stripe stand-in] STRIPE_WEBHOOK_SECRET is empty: events could not be signed");
  process.exit(1);
}
const standIn = await startStandIn({
  port: Number(values.port),
  stateFile: values.state,
  webhookUrl: process.env.STRIPE_STAND_IN_WEBHOOK_URL ?? "",
  webhookSecret,
});
console.log(`[stripe stand-in] ${standIn.origin} (state ${values.state}; webhooks → ${process.env.STRIPE_STAND_IN_WEBHOOK_URL || "recorded only"})`);
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => standIn.close().then(() => process.exit(0)));
