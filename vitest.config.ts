import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { mailApi } from "./tests/stand-ins/mail-api.ts";
import { TEST_WEBHOOK_SECRET } from "./tests/stripe-global-setup.ts";

/** Miniflare hands over its own Request class, which Node's fetch does not take: copy it across. */
async function passThrough(request: Request): Promise<Response> {
  const body = ["GET", "HEAD"].includes(request.method) ? undefined : await request.arrayBuffer();
  return fetch(request.url, { method: request.method, headers: [...request.headers], body, redirect: "manual" });
}

export default defineConfig(async () => {
  const migrations = await readD1Migrations("./migrations");
  const searchMigrations = await readD1Migrations("./migrations-search");
  return {
    plugins: [
      cloudflareTest(({ inject }) => ({
        main: "./workers/api-entry.ts",
        remoteBindings: false,
        wrangler: { configPath: "./wrangler.toml" },
        miniflare: {
          // the Worker's outbound fetch: the mail provider's and Stripe's stand-ins, no network beyond them
          outboundService: (request: Request) =>
            new URL(request.url).host === `127.0.0.1:${inject("stripePort")}` ? passThrough(request) : mailApi(request),
          bindings: {
            TEST_MIGRATIONS: migrations,
            TEST_SEARCH_MIGRATIONS: searchMigrations,
            DEV_MODE: "true",
            APP_ORIGIN: "http://localhost",
            MAIL_API_URL: "",
            MAIL_API_KEY: "",
            MAIL_FROM: "Enclave <no-reply@example.com>",
            OPERATOR_EMAILS: "operator@example.com",
            // export jobs take many small steps, so a few dozen rows exercise resuming (ADR 019)
            EXPORT_PAGE_ITEMS: "5",
            EXPORT_PAGES_PER_STEP: "3",
            // a chat socket this many messages behind what it confirmed is closed (ADR 024)
            CHAT_MAX_UNREAD: "20",
            // the Stripe stand-in started by tests/stripe-global-setup.ts (ADR 037)
            STRIPE_API_BASE: `http://127.0.0.1:${inject("stripePort")}`,
            STRIPE_SECRET_KEY: "sk_test_stand_in",
            STRIPE_WEBHOOK_SECRET: TEST_WEBHOOK_SECRET,
          },
        },
      })),
    ],
    test: {
      include: ["tests/{api,domain,durable-objects}/**/*.test.ts"],
      setupFiles: ["./tests/setup.ts"],
      globalSetup: ["./tests/stripe-global-setup.ts"],
      testTimeout: 20_000,
    },
  };
});
