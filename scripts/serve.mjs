// `npm run serve`: the app under `wrangler dev --local`, plus what Cloudflare does on its own in
// production and wrangler dev does not — the cron trigger. Every minute this calls the Worker's
// scheduled handler (the cron in wrangler.toml runs every 5 minutes in production; locally a
// minute keeps a restart's lost queue messages from waiting long), so the event spine's sweep
// (ADR 014) re-sends events whose queue message died with a previous run, done events are purged,
// and the other cron work happens as it would in production.
//   npm run serve [-- --port 8787] [-- --var NAME:value …] [-- --env-file FILE …]
//   (--var and --env-file as wrangler dev's; start.mjs passes the Stripe stand-in's settings as an
//   env file, so no secret is on a command line — ADR 040)
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs, parseEnv } from "node:util";

const { values } = parseArgs({
  options: { port: { type: "string", default: "8787" }, var: { type: "string", multiple: true, default: [] }, "env-file": { type: "string", multiple: true, default: [] } },
});
const port = values.port;
const cronEveryMs = 60_000;
const env = { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false" };

// The app's own build and local state, named outright: a build made elsewhere (a benchmark's, into
// its own folder) points .wrangler/deploy/config.json at itself, and wrangler dev would follow it.
const config = ["-c", "build/server/wrangler.json", "--persist-to", ".wrangler/state"];
// Links the app hands out (invites, mail) name APP_ORIGIN. A loopback origin in .dev.vars (the
// example's :8787) follows the port served now; an operator's own origin (a tunnel) is kept.
const configured = existsSync(".dev.vars") ? parseEnv(readFileSync(".dev.vars", "utf8")).APP_ORIGIN : undefined;
const loopback = !configured || /^https?:\/\/(127\.0\.0\.1|localhost)(:\d+)?\/?$/.test(configured);
const origin = loopback ? ["--var", `APP_ORIGIN:http://127.0.0.1:${port}`] : [];
const extraVars = values.var.flatMap((v) => ["--var", v]);
// wrangler reads no .dev.vars once an env file is named: the build's copy goes first, the others win
const builtDevVars = resolve("build/server/.dev.vars");
const envFiles = values["env-file"].length > 0 ? [...(existsSync(builtDevVars) ? [builtDevVars] : []), ...values["env-file"]] : [];
extraVars.push(...envFiles.flatMap((file) => ["--env-file", resolve(file)]));
const wrangler = spawn("npx", ["wrangler", "dev", "--local", ...config, ...origin, ...extraVars, "--port", port, "--ip", "127.0.0.1"], { env, stdio: "inherit" });

async function tick() {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/cdn-cgi/handler/scheduled?cron=${encodeURIComponent("*/5 * * * *")}`);
    if (!res.ok) console.error(`[cron] the scheduled handler answered ${res.status}`);
  } catch {
    // not listening yet (or shutting down): the next tick tries again
  }
}
const timer = setInterval(tick, cronEveryMs);

const stop = (signal) => {
  clearInterval(timer);
  wrangler.kill(signal);
};
process.on("SIGINT", () => stop("SIGINT"));
process.on("SIGTERM", () => stop("SIGTERM"));
wrangler.on("exit", (code) => {
  clearInterval(timer);
  process.exit(code ?? 0);
});
