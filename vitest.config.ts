import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { mailApi } from "./tests/stand-ins/mail-api.ts";

export default defineConfig(async () => {
  const migrations = await readD1Migrations("./migrations");
  const searchMigrations = await readD1Migrations("./migrations-search");
  return {
    plugins: [
      cloudflareTest({
        main: "./workers/api-entry.ts",
        remoteBindings: false,
        wrangler: { configPath: "./wrangler.toml" },
        miniflare: {
          // the Worker's outbound fetch: the mail provider's stand-in, and no network beyond it
          outboundService: mailApi,
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
          },
        },
      }),
    ],
    test: {
      include: ["tests/{api,domain,durable-objects}/**/*.test.ts"],
      setupFiles: ["./tests/setup.ts"],
      testTimeout: 20_000,
    },
  };
});
