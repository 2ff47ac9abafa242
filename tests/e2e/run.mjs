// End-to-end: build, migrate throwaway D1s, start `wrangler dev` on :8799 once, and drive Chromium
// through each flow file (core.mjs, discussions.mjs, hard-cases.mjs, dead-letters.mjs, mentions.mjs,
// data-export.mjs, redirects.mjs, chat.mjs, dm.mjs, billing.mjs, boundary.mjs, chat-restart.mjs), in three lanes that run side by side (ADR 027, 043). Every
// page a flow visits (goto, reload, a click that lands on a new URL) is checked by `watch`: axe
// (serious/critical fail), at 375 px no sideways scrolling, and every console error, page error
// (React #418 included) and failed request goes into consoleErrors.
// Prints "N passed, M failed" over all flows; exits non-zero on any failure.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import AxeBuilderModule from "@axe-core/playwright";
import coreFlow from "./core.mjs";
import discussionsFlow from "./discussions.mjs";
import redirectsFlow from "./redirects.mjs";
import hardCasesFlow from "./hard-cases.mjs";
import deadLettersFlow from "./dead-letters.mjs";
import mentionsFlow from "./mentions.mjs";
import dataExportFlow from "./data-export.mjs";
import boundaryFlow from "./boundary.mjs";
import chatRestartFlow from "./chat-restart.mjs";
import chatFlow from "./chat.mjs";
import typingUnreadFlow from "./typing-unread.mjs";
import dmFlow from "./dm.mjs";
import billingFlow from "./billing.mjs";
// paycore's stand-in, as `npm start` runs it offline: the same server, started in this process
import { startStandIn } from "../../scripts/stripe-stand-in/server.mjs";
import { commandLinesShowing, writeVarsFile } from "../../scripts/stripe-stand-in/vars-file.mjs";

// Three lanes of flows that run side by side against one server (a run is mostly waiting on the
// server and the browser: three lanes finished the flows in 364 s where two took 392 s on this
// 2-core machine, each flow about 1.4× slower beside two others; ADR 043 addendum). Flows share
// per-IP minute budgets of the local rate limiter (30 sign-ups, 20 sign-ins a minute from
// 127.0.0.1): all flows together spend about 25 sign-ups and 8 sign-ins, so no minute can overrun
// them. Per-member budgets (the boundary flow's 11 posts) belong to each flow's own members.
// Keep the lanes' times about even when adding a flow (each flow prints its time). `alone` runs
// after the lanes with nothing beside it: the boundary flow's unread 2 MB body once got a 500 from
// wrangler dev's proxy instead of the 413 while the other lane was busy (a loaded machine).
// The chat restart flow kills the server (SIGKILL) and starts it again: it runs last, alone.
const alone = [
  ["boundary: the dev outbox behind a proxy, and a rate limit said in the composer", boundaryFlow],
  ["chat restart: acknowledged messages survive a hard kill of the local server", chatRestartFlow],
];
const lanes = [
  [
    ["hard cases: long words, names, time zones, icons, failures", hardCasesFlow],
    ["dead letters: background work that failed, and trying it again", deadLettersFlow],
    ["typing and unread: the typing indicator, and an unread badge that clears on reading", typingUnreadFlow],
  ],
  [
    ["accounts, communities and invites", coreFlow],
    ["discussions", discussionsFlow],
    ["data export: preparing, following and downloading my archive", dataExportFlow],
    ["mentions: picking one of two namesakes from the suggestion list", mentionsFlow],
    ["redirects from request values", redirectsFlow],
  ],
  [
    ["chat: two members in one channel, live, offline and back without losing a message", chatFlow],
    ["dm: a conversation started from the member list, live both ways, its unread badge cleared on reading", dmFlow],
    ["billing: prices, the pricing page, Upgrade through the stand-in's checkout, success and cancel, revenue", billingFlow],
  ],
];

const AxeBuilder = AxeBuilderModule.default ?? AxeBuilderModule;
const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const shots = join(root, "tests", "e2e", "screenshots");
const PORT = Number(process.env.E2E_PORT ?? 8799);
const ORIGIN = `http://127.0.0.1:${PORT}`;
// the platform operator of the run (OPERATOR_EMAILS): the dead-letters flow signs up with it
const OPERATOR_EMAIL = "operator@e2e.example.com";
const env = { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false", NO_COLOR: "1" };

mkdirSync(shots, { recursive: true });
// `--prepare <dir>`: only build and migrate into <dir>, then exit (scripts/test.sh runs it while the
// workerd tests run); E2E_PREPARED=<dir> then starts from that build and those D1s
const prepareIndex = process.argv.indexOf("--prepare");
const prepareOnly = prepareIndex >= 0;
const prepared = !prepareOnly && process.env.E2E_PREPARED ? process.env.E2E_PREPARED : null;
const persist = prepareOnly ? process.argv[prepareIndex + 1] : (prepared ?? mkdtempSync(join(tmpdir(), "enclave-e2e-")));
if (prepareOnly && !persist) throw new Error("--prepare needs a directory");
let server = null;
let browser = null;
let standIn = null;
/**
 * The secret the stand-in signs its webhooks with and the server verifies them by, and the API key
 * the server calls it with (test-only; new each run, so the check that no command line shows them
 * cannot be fooled by another run on the machine).
 */
const STRIPE_WEBHOOK_SECRET = `whsec_enclave_e2e_${randomBytes(12).toString("hex")}`;
const STRIPE_SECRET_KEY = `sk_test_enclave_e2e_${randomBytes(12).toString("hex")}`;

function run(cmd, args) {
  const res = spawnSync(cmd, args, { cwd: root, env, stdio: "inherit" });
  if (res.status !== 0) throw new Error(`${cmd} ${args.join(" ")} exited with ${res.status}`);
}

function stopServer() {
  if (!server || server.exitCode !== null) return;
  try {
    process.kill(-server.pid, "SIGTERM"); // the whole group: npx → wrangler → workerd
  } catch {
    server.kill("SIGTERM");
  }
}

async function waitForServer(ms = 60_000) {
  const until = Date.now() + ms;
  let last;
  while (Date.now() < until) {
    if (server.exitCode !== null) throw new Error(`wrangler dev exited early (${server.exitCode})`);
    try {
      const res = await fetch(`${ORIGIN}/api/v1/health`);
      if (res.ok) return;
      last = `status ${res.status}`;
    } catch (error) {
      last = error.message;
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`server did not answer in time (${last})`);
}

const results = [];
/**
 * The `step` of one flow: runs `fn` as a named check, records it in `results`, and after a failure
 * skips the rest of that flow only. Lines go to `log` (a flow's own buffer while flows run side by side).
 */
function stepper(log) {
  let blocked = null;
  return async function step(name, fn) {
    if (blocked) {
      results.push({ name, ok: false, error: `skipped: "${blocked}" failed` });
      log(`✗ ${name} (skipped after a failure)`);
      return;
    }
    const started = Date.now();
    try {
      await fn();
      results.push({ name, ok: true });
      log(`✓ ${name} (${Date.now() - started} ms)`);
    } catch (error) {
      results.push({ name, ok: false, error });
      blocked = name;
      log(`✗ ${name}\n  ${String(error?.stack ?? error).split("\n").slice(0, 6).join("\n  ")}`);
    }
  };
}

const axeFindings = [];
/** Where a run's time goes (printed at the end): axe runs, screenshots and width checks, count and ms. */
const spent = { axe: { n: 0, ms: 0 }, shot: { n: 0, ms: 0 }, width: { n: 0, ms: 0 } };
async function timed(kind, fn) {
  const started = Date.now();
  try {
    return await fn();
  } finally {
    spent[kind].n += 1;
    spent[kind].ms += Date.now() - started;
  }
}

/** The state of each page that axe last checked (its URL and text length): a flow's own `axe` call on the same state is not run twice. */
const lastAxed = new WeakMap();
const stateOf = async (page) => `${page.url()} ${await page.evaluate(() => document.body.innerText.length)}`;

async function axe(page, label) {
  const state = await stateOf(page);
  if (lastAxed.get(page) === state) return;
  lastAxed.set(page, state);
  // only the violations are wanted: axe then skips building node details for every rule that
  // passed, which is most of a run's time on a long page
  const { violations } = await timed("axe", () => new AxeBuilder({ page }).options({ resultTypes: ["violations"] }).analyze());
  const bad = violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  for (const v of bad) axeFindings.push(`${label}: [${v.impact}] ${v.id} — ${v.help} (${v.nodes.map((n) => n.target.join(" ")).slice(0, 3).join(", ")})`);
  assert.equal(bad.length, 0, `axe found serious/critical issues on ${label}:\n${bad.map((v) => `  ${v.id}: ${v.help} → ${v.nodes.map((n) => n.target.join(" ")).slice(0, 3).join(", ")}`).join("\n")}`);
}

/** At a phone's width the page must not scroll sideways: scrollWidth ≤ the viewport's width. */
async function fitsWidth(page, label) {
  const viewport = page.viewportSize();
  if (!viewport || viewport.width > 375) return;
  const { scrollWidth, widest } = await timed("width", () => page.evaluate(() => {
    const limit = document.documentElement.clientWidth;
    let widest = "";
    for (const el of document.body.querySelectorAll("*")) {
      const r = el.getBoundingClientRect();
      if (r.right > limit + 1 && r.width > 0) widest = `${el.tagName.toLowerCase()}.${String(el.className).slice(0, 60)} right=${Math.round(r.right)}`;
    }
    return { scrollWidth: document.documentElement.scrollWidth, widest };
  }));
  assert.ok(scrollWidth <= viewport.width, `${label}: the page is ${scrollWidth} px wide at ${viewport.width} px (${widest})`);
}

const consoleErrors = [];
const checkedKinds = new Set();

/**
 * The kind of page a navigation landed on, for axe (ADR 027 addendum): the path with a
 * community's slug and every id (`pst_…`, `spc_…`, an invite code, a number) as a placeholder,
 * the query's names without their values. axe runs once per kind — a post page is the same
 * markup for every post, reader, width and language (its rules read structure, roles, names and
 * colours, which the zh-Hant and en pages share; 16 kinds were checked twice, once per language,
 * before the ADR 043 addendum of session 13) (the 375 px check still runs on
 * every navigation) — where it ran once per visitor, URL and state before, which spent more than half of the run's time in axe (ADR 043);
 * a flow that opens a new state of a page (a menu, a dialog, an owner's controls) calls `axe` itself.
 */
async function pageKind(page) {
  const url = new URL(page.url());
  const path = url.pathname
    .split("/")
    .map((part, i, parts) => (parts[i - 1] === "c" ? ":slug" : /^[a-z]{2,5}_[a-z2-7]+$|\d|^[A-Za-z0-9-]{20,}$/.test(part) ? ":id" : part))
    .join("/");
  const query = [...new Set(url.searchParams.keys())].sort().join("&");
  return `${path}?${query}`;
}
/**
 * Follows a page through a flow: collects console errors (React's minified #418 included), page
 * errors and 4xx/5xx responses the flow did not expect, and after every navigation runs the
 * 375 px width check and axe (once per kind of page: pageKind). `page.expectErrors(re)` lets the next matching console error through
 * (a 404 page the flow asked for).
 */
function watch(page, who) {
  const allowed = [];
  page.expectErrors = (re) => allowed.push(re);
  const record = (text) => {
    const i = allowed.findIndex((re) => re.test(text));
    if (i !== -1) return allowed.splice(i, 1);
    consoleErrors.push(`${who} @ ${page.url()}: ${text}`);
  };
  page.on("pageerror", (e) => record(`pageerror: ${e.message}`));
  page.on("console", (msg) => {
    if (msg.type() !== "error") return;
    const where = msg.location()?.url ?? "";
    // a form the API refused answers its action with 400/409/422 data, which Chromium logs: expected
    if (/status of (400|409|422)\b/.test(msg.text()) && where.endsWith(".data")) return;
    record(`console: ${msg.text()} ${where}`);
  });
  const check = async () => {
    await page.waitForLoadState("load");
    // hydrated before the flow goes on (app/root.tsx marks <html data-hydrated>): axe's seconds
    // used to give every page that time; a page without JavaScript never is, so capped
    await page.waitForSelector("html[data-hydrated]", { state: "attached", timeout: 5_000 }).catch(() => undefined);
    const url = page.url();
    const label = `${who} ${new URL(url).pathname}${new URL(url).search}`;
    await fitsWidth(page, label);
    // each kind of page once per visitor, width and language (pageKind)
    const key = await pageKind(page);
    if (checkedKinds.has(key)) return;
    checkedKinds.add(key);
    await axe(page, label);
  };
  for (const method of ["goto", "reload", "goBack"]) {
    const original = page[method].bind(page);
    page[method] = async (...args) => {
      const response = await original(...args);
      await check();
      return response;
    };
  }
  const waitForURL = page.waitForURL.bind(page);
  page.waitForURL = async (...args) => {
    await waitForURL(...args);
    await check();
  };
  page.check = check;
  return page;
}

// from the top, so the sticky header is not painted into the middle of a full-page capture
const shot = async (page, name) => {
  await page.evaluate(() => window.scrollTo(0, 0));
  await timed("shot", () => page.screenshot({ path: join(shots, `${name}.png`), fullPage: true }));
};

async function expectOk(page, response) {
  assert.ok(response, "no response");
  assert.ok(response.status() < 400, `HTTP ${response.status()} for ${response.url()}`);
}

/**
 * Opens the SQLite file behind the server's DB binding (`--persist-to`, miniflare's D1 object
 * store; the SEARCH binding's file has no users table), runs `fn(db)` and closes it. The file is
 * in WAL mode, so the running server sees a write at its next statement. This is what
 * `wrangler d1 execute --local` does, without starting wrangler and a workerd for each statement
 * (3–5 s each on a loaded 2-core machine).
 */
function withD1(fn) {
  const dir = join(persist, "v3", "d1", "miniflare-D1DatabaseObject");
  for (const name of readdirSync(dir).filter((f) => f.endsWith(".sqlite") && f !== "metadata.sqlite")) {
    const db = new DatabaseSync(join(dir, name));
    try {
      db.exec("PRAGMA busy_timeout = 5000");
      if (!db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'users'").get()) continue;
      return fn(db);
    } finally {
      db.close();
    }
  }
  throw new Error(`no D1 database with a users table in ${dir}`);
}

/** Where this run's wrangler output is kept (beside the screenshots). */
const SERVER_LOG = join(shots, "server.log");
rmSync(SERVER_LOG, { force: true });

/** The lines of a server log that tell of errors, with the stack lines after them (at most 40 per error). */
function serverErrors(text) {
  const lines = text.split("\n");
  const out = [];
  for (let i = 0; i < lines.length; i++) {
    if (!/error|exception|✘/i.test(lines[i])) continue;
    out.push(lines[i]);
    for (let j = i + 1; j < lines.length && j <= i + 40 && /^\s+at |^\s{2,}/.test(lines[j]); j++) out.push(lines[j]);
  }
  return out.join("\n");
}

/**
 * `--env-file` arguments for the Stripe settings: the build's .dev.vars first (wrangler reads no
 * .dev.vars once any env file is named, and did read it before), then the run's own file (0600,
 * in the run's temp state), whose values win.
 */
function stripeEnvFiles() {
  const file = join(persist, "stripe.vars");
  writeVarsFile(file, { STRIPE_API_BASE: standIn.origin, STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET });
  const built = join(root, "build", "server", ".dev.vars");
  return [...(existsSync(built) ? ["--env-file", built] : []), "--env-file", file];
}

/** wrangler dev on PORT over the run's persisted state; resolves once it answers. */
async function startServer() {
  server = spawn(
    "npx",
    ["wrangler", "dev", "--local", "--port", String(PORT), "--ip", "127.0.0.1", "--persist-to", persist, "--var", "DEV_MODE:true", "--var", `APP_ORIGIN:${ORIGIN}`, "--var", `OPERATOR_EMAILS:${OPERATOR_EMAIL}`,
      // export steps of three pages of three items: the data-export flow's archive (about twenty
      // items) takes a few steps, so its progress bar moves; one page a step made it crawl
      "--var", "EXPORT_PAGE_ITEMS:3", "--var", "EXPORT_PAGES_PER_STEP:3",
      // payments go to the Stripe stand-in started beside the server (ADR 037), its key and
      // webhook secret through a 0600 env file, never a command line (ADR 040)
      ...stripeEnvFiles()],
    { cwd: root, env, detached: true, stdio: ["ignore", "pipe", "pipe"] },
  );
  // wrangler's output goes to a file kept with the screenshots (every start appends to it), so a
  // 500 in a flow can be read with its stack after the run; a failed run prints the errors in it
  const log = createWriteStream(SERVER_LOG, { flags: "a" });
  server.stdout.pipe(log);
  server.stderr.pipe(log);
  await waitForServer().catch((error) => {
    console.log(serverErrors(readFileSync(SERVER_LOG, "utf8")).slice(-3000));
    throw error;
  });
  // what `ps` shows everyone on the machine must not carry the Stripe key or webhook secret
  const showing = commandLinesShowing([STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET]);
  assert.deepEqual(showing, [], "a command line shows a Stripe secret");
}

/**
 * Stop the server and start it again over the same state: `hard` kills the whole process group
 * with SIGKILL (no clean shutdown, as a crash or a power cut), else SIGTERM.
 */
async function restartServer({ hard = false } = {}) {
  const old = server;
  const exited = new Promise((resolve) => (old.exitCode !== null ? resolve() : old.once("exit", resolve)));
  try {
    process.kill(-old.pid, hard ? "SIGKILL" : "SIGTERM");
  } catch {
    old.kill(hard ? "SIGKILL" : "SIGTERM");
  }
  await exited;
  // the port is free once workerd is gone; wait for it to stop answering
  for (let i = 0; i < 50; i++) {
    try {
      await fetch(`${ORIGIN}/api/v1/health`);
      await new Promise((r) => setTimeout(r, 100));
    } catch {
      break;
    }
  }
  await startServer();
}

/** The build and fresh, migrated D1s in `persist`: what every run starts from. */
function prepare() {
  console.log("building…");
  run("npx", ["react-router", "build"]);
  console.log(`migrating a fresh D1 in ${persist}…`);
  mkdirSync(persist, { recursive: true });
  run("npx", ["wrangler", "d1", "migrations", "apply", "DB", "--local", "--persist-to", persist]);
  run("npx", ["wrangler", "d1", "migrations", "apply", "SEARCH", "--local", "--persist-to", persist]);
}

if (prepareOnly) {
  prepare();
  process.exit(0);
}

try {
  if (prepared) console.log(`starting from the build and D1s prepared in ${persist}`);
  else prepare();
  // E2E_STRIPE_PORT fixes the stand-in's port (engineers sharing a machine); else any free one
  standIn = await startStandIn({
    port: Number(process.env.E2E_STRIPE_PORT ?? 0),
    stateFile: join(persist, "stripe-stand-in.json"),
    webhookUrl: `${ORIGIN}/api/v1/webhooks/stripe`,
    webhookSecret: STRIPE_WEBHOOK_SECRET,
  });
  await startServer();

  browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  /** Runs SQL on the local D1 the server uses: only to set what no API can (a join date in the past). */
  const sql = (command) => withD1((db) => db.exec(command));
  /** The rows one SELECT reads from that D1: to check what no API shows (an event's state). */
  const query = (command) => withD1((db) => db.prepare(command).all());
  const harness = { browser, ORIGIN, OPERATOR_EMAIL, axe, shot, expectOk, consoleErrors, watch, fitsWidth, sql, query, restartServer };
  // E2E_ONLY=hard runs only the flows whose name contains "hard" (a quicker loop while developing)
  const chosen = (lane) => lane.filter(([n]) => !process.env.E2E_ONLY || n.includes(process.env.E2E_ONLY));
  // The lanes run side by side, each flow in its lane one after another. A flow prints its lines
  // when it ends, so the lanes' lines do not interleave.
  const runLane = async (lane) => {
    for (const [name, flow] of chosen(lane)) {
      const lines = [`— ${name}`];
      const started = Date.now();
      try {
        await flow({ ...harness, step: stepper((line) => lines.push(line)) });
      } finally {
        lines.push(`  (${name.split(":")[0]}: ${((Date.now() - started) / 1000).toFixed(1)} s)`);
        console.log(lines.join("\n"));
      }
    }
  };
  const settled = await Promise.allSettled(lanes.map(runLane));
  for (const lane of settled) if (lane.status === "rejected") throw lane.reason;
  await runLane(alone);

  await stepper(console.log)("no script errors, hydration mismatches (React #418) or failed loads in the browser", async () => {
    assert.deepEqual(consoleErrors, []);
  });
} catch (error) {
  results.push({ name: "setup", ok: false, error });
  console.log(`✗ setup: ${error?.stack ?? error}`);
} finally {
  await browser?.close().catch(() => {});
  stopServer();
  await standIn?.close().catch(() => {});
  await new Promise((r) => setTimeout(r, 500));
  rmSync(persist, { recursive: true, force: true });
}

if (axeFindings.length) console.log(`axe findings:\n  ${axeFindings.join("\n  ")}`);
writeFileSync(join(shots, "axe-kinds.txt"), [...checkedKinds].sort().join("\n") + "\n");
console.log(`time in checks (all lanes summed): ${Object.entries(spent).map(([k, v]) => `${k} ${v.n}× ${(v.ms / 1000).toFixed(1)} s`).join(", ")}`);
const passed = results.filter((r) => r.ok).length;
const failed = results.length - passed;
if (failed > 0) {
  let errors = "";
  try {
    errors = serverErrors(readFileSync(SERVER_LOG, "utf8"));
  } catch {
    /* the server never started */
  }
  console.log(`server log: ${SERVER_LOG}${errors ? `; its errors:\n${errors.slice(-6000)}` : " (no errors in it)"}`);
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
