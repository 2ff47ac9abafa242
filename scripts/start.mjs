// `npm start`: the local app, doing only the work that something changed calls for. A first
// start on a fresh clone creates .dev.vars, applies the migrations, seeds the demo community,
// builds and serves (~40 s); a start with nothing changed skips straight to serving (a few s).
//   - migrations: applied when the migration files differ from the ones last applied to this
//     local state (or the state is new);
//   - seed: run when the seed scripts differ from the ones that last seeded this state;
//   - build: run when a content hash of its inputs (sources, public/, configs, lock, .dev.vars)
//     differs from the one stored beside the output, or the output is not the one built then.
// The stamps live with what they describe (.wrangler/state, build/), so deleting either redoes it.
// Payments offline: in DEV_MODE without a real STRIPE_SECRET_KEY in .dev.vars, the Stripe stand-in
// (scripts/stripe-stand-in, ADR 037) runs beside the app with its state in .wrangler/state, the
// app is pointed at it, and the demo's prices are made there; with a real key it never starts.
// `--no-payments` runs the app as a deployment without Stripe (no stand-in, every STRIPE_* var
// emptied, even a real key in .dev.vars): GET …/billing says configured:false, and the pages show
// no buy button anywhere (issue 14 findings 1 and 14).
//   npm start [-- --port 8787] [-- --stripe-port 12111] [-- --no-payments] [-- --force]   (--force redoes every step)
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { parseArgs, parseEnv } from "node:util";
import { resolve } from "node:path";
import { contentHash, LOCAL_STATE, localDatabasesExist } from "./lib/dev-state.mjs";
import { writeVarsFile } from "./stripe-stand-in/vars-file.mjs";

const { values } = parseArgs({
  options: {
    port: { type: "string", default: "8787" },
    "stripe-port": { type: "string", default: "12111" },
    force: { type: "boolean", default: false },
    "no-payments": { type: "boolean", default: false },
  },
});
const started = Date.now();
// ENCLAVE_PORT: the seed names its invite link with the port this start serves on
const env = { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false", ENCLAVE_PORT: values.port };

function run(what, command, args) {
  const at = Date.now();
  const res = spawnSync(command, args, { stdio: "inherit", env });
  if (res.status !== 0) process.exit(res.status ?? 1);
  console.log(`[start] ${what}: ${((Date.now() - at) / 1000).toFixed(1)} s`);
}

const readJson = (file) => {
  try {
    return JSON.parse(readFileSync(file, "utf8"));
  } catch {
    return {};
  }
};

/** Runs `step` unless `stampFile` already records `hash` (and `fresh()` holds); then records it. Answers whether it ran. */
function unlessDone(what, stampFile, key, hash, fresh, step) {
  const stamp = readJson(stampFile);
  if (!values.force && stamp[key] === hash && fresh()) {
    console.log(`[start] ${what}: unchanged, skipped`);
    return false;
  }
  step();
  mkdirSync(stampFile.slice(0, stampFile.lastIndexOf("/")), { recursive: true });
  writeFileSync(stampFile, JSON.stringify({ ...readJson(stampFile), [key]: hash }, null, 2));
  return true;
}

// 1. local settings (never overwrites the operator's own .dev.vars)
run("dev vars", "node", ["scripts/dev-vars.mjs"]);

// 2. migrations and 3. seed, recorded inside the local state they changed
const stateStamp = `${LOCAL_STATE}/enclave-start.json`;
unlessDone("migrations", stateStamp, "migrations", contentHash(["migrations", "migrations-search"]), localDatabasesExist, () =>
  run("migrations", "npm", ["run", "db:migrate", "--silent"]),
);
const seeded = unlessDone("seed", stateStamp, "seed", contentHash(["scripts/seed.mjs", "scripts/reindex.mjs", "scripts/lib", "migrations", "migrations-search"]), localDatabasesExist, () =>
  run("seed", "npm", ["run", "seed", "--silent"]),
);

// 4. build, recorded beside its output; the output's own hash catches a build made by other means
const buildStamp = "build/.inputs.json";
const builtOutput = () => (existsSync("build/server/wrangler.json") ? contentHash(["build/server/index.js", "build/server/wrangler.json"]) : null);
const buildInputs = contentHash([
  "app", "workers", "durable-objects", "public", "package.json", "package-lock.json", "vite.config.ts", "react-router.config.ts",
  "tsconfig.json", "wrangler.toml", ".dev.vars",
]);
unlessDone("build", buildStamp, "inputs", buildInputs, () => builtOutput() !== null && readJson(buildStamp).output === builtOutput(), () => {
  run("build", "npm", ["run", "build", "--silent"]);
  writeFileSync(buildStamp, JSON.stringify({ output: builtOutput() }));
});

// 5. payments: the Stripe stand-in unless a real key is configured
const devVars = existsSync(".dev.vars") ? parseEnv(readFileSync(".dev.vars", "utf8")) : {};
const STAND_IN_KEY = "sk_test_enclave_stand_in";
const realKey = Boolean(devVars.STRIPE_SECRET_KEY) && devVars.STRIPE_SECRET_KEY !== STAND_IN_KEY;
/** Arguments for serve.mjs: the stand-in's settings as an env file (never as values on the command line). */
const serveVars = [];
let standIn = null;
if (values["no-payments"]) {
  // later env files win over the build's .dev.vars (serve.mjs): empty values leave no key, no stand-in address
  const varsFile = resolve(`${LOCAL_STATE}/no-payments.vars`);
  writeVarsFile(varsFile, { STRIPE_SECRET_KEY: "", STRIPE_WEBHOOK_SECRET: "", STRIPE_API_BASE: "" });
  serveVars.push("--env-file", varsFile);
  console.log("[start] payments: off (--no-payments): no Stripe stand-in and no Stripe keys; nobody is offered anything to buy");
} else if (devVars.DEV_MODE === "true" && !realKey) {
  const stripeBase = `http://127.0.0.1:${values["stripe-port"]}`;
  const webhookSecret = devVars.STRIPE_WEBHOOK_SECRET || "whsec_enclave_stand_in";
  const stateFile = `${LOCAL_STATE}/stripe-stand-in.json`;
  standIn = spawn("node", ["scripts/stripe-stand-in/main.mjs", "--port", values["stripe-port"], "--state", stateFile], {
    stdio: "inherit",
    env: { ...env, STRIPE_WEBHOOK_SECRET: webhookSecret, STRIPE_STAND_IN_WEBHOOK_URL: `http://127.0.0.1:${values.port}/api/v1/webhooks/stripe` },
  });
  for (let tries = 0; ; tries++) {
    const up = await fetch(stripeBase).then((r) => r.ok, () => false);
    if (up) break;
    if (tries > 100 || standIn.exitCode !== null) {
      console.error(`[start] the Stripe stand-in did not start on ${stripeBase} (is the port taken? use --stripe-port)`);
      process.exit(1);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  // the demo's prices, made in the stand-in once; again only if its state lost them
  const { syncDemoPrices } = await import("./stripe-stand-in/demo-prices.mjs");
  const standInHas = (ids) => {
    const prices = readJson(stateFile).objects?.price ?? {};
    return Array.isArray(ids) && ids.length > 0 && ids.every((id) => prices[id]?.active);
  };
  const sold = readJson(stateStamp).stripeDemoPrices;
  // a fresh seed has rows without Stripe ids, whatever the stand-in still holds
  if (values.force || seeded || !standInHas(sold)) {
    const at = Date.now();
    const ids = await syncDemoPrices({ apiBase: stripeBase, secretKey: STAND_IN_KEY });
    writeFileSync(stateStamp, JSON.stringify({ ...readJson(stateStamp), stripeDemoPrices: ids }, null, 2));
    console.log(`[start] demo prices in the Stripe stand-in: ${((Date.now() - at) / 1000).toFixed(1)} s`);
  } else {
    console.log("[start] demo prices in the Stripe stand-in: unchanged, skipped");
  }
  // through a 0600 env file in the local state, not `--var`: `ps` shows arguments to everyone (ADR 040)
  const varsFile = resolve(`${LOCAL_STATE}/stripe-stand-in.vars`);
  writeVarsFile(varsFile, { STRIPE_API_BASE: stripeBase, STRIPE_SECRET_KEY: STAND_IN_KEY, STRIPE_WEBHOOK_SECRET: webhookSecret });
  serveVars.push("--env-file", varsFile);
  console.log(`[start] payments: Stripe stand-in at ${stripeBase} (test checkout, no real payment)`);
} else {
  console.log(realKey ? "[start] payments: real Stripe (STRIPE_SECRET_KEY in .dev.vars)" : "[start] payments: not configured");
}

console.log(`[start] ready to serve after ${((Date.now() - started) / 1000).toFixed(1)} s`);
// the seed step may have been skipped (already done): the demo invite on the port served now
console.log(`[start] demo invite link: http://127.0.0.1:${values.port}/invite/welcome-demo`);
// 6. serve (replaces nothing: this process waits for the server and passes signals through)
const serve = spawnSync("node", ["scripts/serve.mjs", "--port", values.port, ...serveVars], { stdio: "inherit", env });
standIn?.kill("SIGTERM");
process.exit(serve.status ?? 0);
