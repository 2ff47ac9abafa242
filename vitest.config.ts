import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { mailApi } from "./tests/stand-ins/mail-api.ts";
import { TEST_WEBHOOK_SECRET } from "./tests/stripe-global-setup.ts";

/** Miniflare hands over its own Request class, which Node's fetch does not take: copy it across. */
async function passThrough(request: Request): Promise<Response> {
  const body = ["GET", "HEAD"].includes(request.method) ? undefined : await request.arrayBuffer();
  return fetch(request.url, { method: request.method, headers: [...request.headers], body, redirect: "manual" });
}

const ALL_TESTS = ["tests/{api,domain,durable-objects}/**/*.test.ts"];

/** Test files that need a runtime and storage of their own (see `projects` below). */
const ISOLATED = [
  "tests/durable-objects/**/*.test.ts",
  "tests/api/{chat,dm,conversations}*.test.ts",
  ...[
    "billing-customers", "billing-joining", "billing-webhooks", "boundary-purge", "boundary-rate-limits", "data-rights-contract",
    "events", "export-jobs", "fanout", "idempotency", "me", "mention-identity", "missed-messages", "notifications",
    "search-cjk", "search", "unicode", "platform",
  ].map((name) => `tests/api/${name}.test.ts`),
  "tests/domain/text.test.ts",
];

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
      setupFiles: ["./tests/setup.ts"],
      globalSetup: ["./tests/stripe-global-setup.ts"],
      testTimeout: 20_000,
      // two files at a time (vitest's default here is one: cores − 1 on this 2-core machine); each
      // waits on workerd and the Stripe stand-in much of the time
      maxWorkers: 2,
      // Most files share one runtime and its storage per worker (ADR 043): starting workerd and
      // transforming the app for each of 81 files was most of the run. Their tests make their own
      // communities and users and read only those. The files in ISOLATED keep a runtime and
      // storage of their own: they run jobs over every row (cron, backfill, purge, drains), count
      // what the whole database holds, or hold Durable Object sockets whose timing a neighbour's
      // leftovers disturbed when shared.
      projects: [
        { extends: true, test: { name: "shared", include: ALL_TESTS, exclude: ISOLATED, isolate: false } },
        { extends: true, test: { name: "isolated", include: ISOLATED, isolate: true } },
      ],
    },
  };
});
