// `npm start`: the local app, doing only the work that something changed calls for. A first
// start on a fresh clone creates .dev.vars, applies the migrations, seeds the demo community,
// builds and serves (~40 s); a start with nothing changed skips straight to serving (a few s).
//   - migrations: applied when the migration files differ from the ones last applied to this
//     local state (or the state is new);
//   - seed: run when the seed scripts differ from the ones that last seeded this state;
//   - build: run when a content hash of its inputs (sources, public/, configs, lock, .dev.vars)
//     differs from the one stored beside the output, or the output is not the one built then.
// The stamps live with what they describe (.wrangler/state, build/), so deleting either redoes it.
//   npm start [-- --port 8787] [-- --force]   (--force redoes every step)
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { contentHash, LOCAL_STATE, localDatabasesExist } from "./lib/dev-state.mjs";

const { values } = parseArgs({ options: { port: { type: "string", default: "8787" }, force: { type: "boolean", default: false } } });
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

/** Runs `step` unless `stampFile` already records `hash` (and `fresh()` holds); then records it. */
function unlessDone(what, stampFile, key, hash, fresh, step) {
  const stamp = readJson(stampFile);
  if (!values.force && stamp[key] === hash && fresh()) {
    console.log(`[start] ${what}: unchanged, skipped`);
    return;
  }
  step();
  mkdirSync(stampFile.slice(0, stampFile.lastIndexOf("/")), { recursive: true });
  writeFileSync(stampFile, JSON.stringify({ ...readJson(stampFile), [key]: hash }, null, 2));
}

// 1. local settings (never overwrites the operator's own .dev.vars)
run("dev vars", "node", ["scripts/dev-vars.mjs"]);

// 2. migrations and 3. seed, recorded inside the local state they changed
const stateStamp = `${LOCAL_STATE}/enclave-start.json`;
unlessDone("migrations", stateStamp, "migrations", contentHash(["migrations", "migrations-search"]), localDatabasesExist, () =>
  run("migrations", "npm", ["run", "db:migrate", "--silent"]),
);
unlessDone("seed", stateStamp, "seed", contentHash(["scripts/seed.mjs", "scripts/reindex.mjs", "scripts/lib", "migrations", "migrations-search"]), localDatabasesExist, () =>
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

console.log(`[start] ready to serve after ${((Date.now() - started) / 1000).toFixed(1)} s`);
// the seed step may have been skipped (already done): the demo invite on the port served now
console.log(`[start] demo invite link: http://127.0.0.1:${values.port}/invite/welcome-demo`);
// 5. serve (replaces nothing: this process waits for the server and passes signals through)
const serve = spawnSync("node", ["scripts/serve.mjs", "--port", values.port], { stdio: "inherit", env });
process.exit(serve.status ?? 0);
