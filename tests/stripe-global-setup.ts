// Starts the Stripe stand-in (scripts/stripe-stand-in, ADR 037) once for the whole test run on a
// free 127.0.0.1 port, with a fresh temp state file, and hands its port to vitest.config.ts
// (`inject("stripePort")`), which points the Worker's STRIPE_API_BASE at it. Events are recorded,
// not sent: workerd tests read them from GET /_stand-in/events and deliver them to the app.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
// @ts-expect-error plain .mjs with JSDoc (Node runs it for `npm start` too); no declaration file
import { startStandIn } from "../scripts/stripe-stand-in/server.mjs";

/** The webhook signing secret the tests and the stand-in share. */
export const TEST_WEBHOOK_SECRET = "whsec_enclave_tests";

declare module "vitest" {
  export interface ProvidedContext {
    stripePort: number;
  }
}

export default async function setup(project: TestProject) {
  const dir = mkdtempSync(join(tmpdir(), "enclave-stripe-"));
  const standIn: { port: number; close: () => Promise<void> } = await startStandIn({
    port: 0,
    stateFile: join(dir, "state.json"),
    webhookSecret: TEST_WEBHOOK_SECRET,
  });
  project.provide("stripePort", standIn.port);
  return async () => {
    await standIn.close();
    rmSync(dir, { recursive: true, force: true });
  };
}
