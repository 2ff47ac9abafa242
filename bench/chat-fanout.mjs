// Chat fan-out (issue 12): N WebSocket clients in one channel, one sender at a ladder of steady
// rates; delivery latency p50/p99/max, loss and server CPU per delivery, for the app as `npm start`
// serves it and three floors, interleaved, several rounds, medians. A rate passes with 0 lost in
// every round and a median p99 ≤ 100 ms; a system stops climbing at its first failing rate.
// A benchmark reports; it never fails anything. Not part of `npm test`.
//
//   npm run bench:chat                                  (N 100, 500, 1000; 20, 50, 100, 200 msg/s; 3 rounds; ≤ ~15 min; writes RESULTS.md)
//   npm run bench:chat -- --quick                       (N 100, 20 and 50 msg/s, 1 round of 5 s)
//   npm run bench:chat -- --n 100,500 --rates 20,50 --rounds 3 --seconds 10 --systems app,bare,ws,socketio --threads 2 --write
//   npm run bench:chat -- --n 500 --rates 20 --rounds 1 --systems app --profile
//                                                       (a V8 CPU profile of the app's isolate over its first
//                                                        recorded step: bench/.build/app.cpuprofile, top self times printed;
//                                                        BENCH_PROFILE_SYSTEM=stored (or bare) profiles that floor instead)
//
// Systems, each in its own server process so /proc/<pid>/stat gives its CPU time alone:
//   app      the app built into bench/.build and served by wrangler dev --local (ChatChannel: every
//            message stored, access-checked, coalesced); N members signed in by session rows
//            written into the local D1 (the signup limiter allows 30 a minute), sockets opened with
//            the session cookie and the app's Origin
//   bare     a Durable Object that broadcasts each send, no storage, no auth, same wrangler dev
//            (bench/chat-bare-worker.ts): the platform's local floor
//   stored   the same object with one SQLite insert per message before its broadcast: the floor
//            of "acknowledged means stored" (the write and the output gate behind it)
//   ws       a minimal broadcast server on the `ws` package (bench/chat-floor-servers.mjs)
//   socketio a Socket.IO room (same file)
// The sender: message k goes out through client k mod N, paced by this thread at the step's rate
// (the app's object allows a member 10 messages in 10 s, so one member cannot send 20 a second;
// rotating over the N members keeps each well under it — rates above 0.8·N are skipped for the
// app). Every system sees the same rotation. Clients live in worker threads (--threads); each
// step records the threads' event-loop utilisation, and a step where a client thread was busier
// than 90% is marked "client-bound" in the table: its figures say more about this process than
// about the server.
import { createHash, randomBytes } from "node:crypto";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { selfTimes, startProfile } from "./cpu-profile.mjs";
import { buildApp, cleanUp, here, log, persist, q, reuse, run, startProcess, startServer, stopped, writeResultsSection } from "./harness.mjs";

// ---- options ------------------------------------------------------------------------------------

const argv = process.argv.slice(2);
const flag = (name) => argv.includes(`--${name}`);
const option = (name, fallback) => {
  const at = argv.indexOf(`--${name}`);
  return at >= 0 && argv[at + 1] !== undefined ? argv[at + 1] : fallback;
};
const list = (text) => text.split(",").map((s) => s.trim()).filter(Boolean);
const quick = flag("quick");
const SIZES = list(option("n", quick ? "100" : "100,500,1000")).map(Number);
const RATES = list(option("rates", quick ? "20,50" : "20,50,100,200")).map(Number);
const ROUNDS = Number(option("rounds", quick ? 1 : 3));
const SECONDS = Number(option("seconds", quick ? 5 : 10));
const THREADS = Number(option("threads", 2));
const SYSTEMS = list(option("systems", "app,bare,stored,ws,socketio"));
/** `--profile`: a CPU profile of the app's isolate over its first recorded step (bench/.build/app.cpuprofile) */
const PROFILE = flag("profile");
const WRITE = flag("write") || (!quick && !argv.includes("--n") && !argv.includes("--rates"));
/** a message later than this after the step's last send counts as lost */
const GRACE_MS = 3_000;
const P99_LIMIT_MS = 100;
const WARMUP_SECONDS = 3;
/** the app object's flood brake is 10 messages in 10 s per member (durable-objects/chat-channel.ts) */
const APP_RATE_SHARE = 0.8;

const PORTS = { app: 8795, bare: 8796, ws: 8797, socketio: 8798, stored: 8799 };
const base = `http://127.0.0.1:${PORTS.app}`;
const CHAT_SPACE = "spc_chatbench";
const MAX_N = Math.max(...SIZES);
const runTag = randomBytes(3).toString("hex");

// ---- seeding the app: N members with sessions in one community with one chat space ------------

const secret = reuse ? readFileSync(join(reuse, "chat-secret"), "utf8").trim() : randomBytes(16).toString("hex");
const tokenOf = (i) => createHash("sha256").update(`${secret}:${i}`).digest("hex");
const sessionOf = (i) => createHash("sha256").update(tokenOf(i)).digest("hex");

function seedChat() {
  const now = Date.now();
  const lines = [
    `INSERT INTO users (id, email, name) VALUES ${Array.from({ length: MAX_N }, (_, i) => `('usr_chat${i}', 'chat${i}@bench.test', 'Chat ${i}')`).join(",\n")};`,
    `INSERT INTO sessions (id, user_id, expires_at) VALUES ${Array.from({ length: MAX_N }, (_, i) => `(${q(sessionOf(i))}, 'usr_chat${i}', ${now + 86_400_000})`).join(",\n")};`,
    `INSERT INTO communities (id, slug, name, visibility, owner_id) VALUES ('com_chatbench', 'chatbench', 'Chat bench', 'private', 'usr_chat0');`,
    `INSERT INTO memberships (community_id, user_id, role, joined_at) VALUES ${Array.from({ length: MAX_N }, (_, i) => `('com_chatbench', 'usr_chat${i}', ${i === 0 ? "'owner'" : "'member'"}, ${now})`).join(",\n")};`,
    `INSERT INTO spaces (id, community_id, kind, name, position) VALUES (${q(CHAT_SPACE)}, 'com_chatbench', 'chat', 'Chat', 0);`,
  ];
  const file = join(persist, "chat-seed.sql");
  writeFileSync(file, lines.join("\n"));
  run("npx", ["wrangler", "d1", "migrations", "apply", "DB", "--local", "-c", "wrangler.toml", "--persist-to", persist]);
  run("npx", ["wrangler", "d1", "execute", "DB", "--local", "-c", "wrangler.toml", "--persist-to", persist, "--file", file]);
  writeFileSync(join(persist, "chat-secret"), secret);
}

// ---- servers and their CPU time -----------------------------------------------------------------

const CLK_TCK = Number(run("getconf", ["CLK_TCK"]).trim()) || 100;

/** CPU time (ms) of every process in the server's process group, and of its workerd alone. */
function cpuOf(pgid) {
  let all = 0;
  let workerd = 0;
  for (const pid of readdirSync("/proc")) {
    if (!/^\d+$/.test(pid)) continue;
    let stat;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    } catch {
      continue; // gone
    }
    const close = stat.lastIndexOf(")");
    const comm = stat.slice(stat.indexOf("(") + 1, close);
    const fields = stat.slice(close + 2).split(" ");
    if (Number(fields[2]) !== pgid) continue;
    const ms = ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK;
    all += ms;
    if (comm.startsWith("workerd")) workerd += ms;
  }
  return { all, workerd };
}

const startNodeServer = (kind, port) =>
  startProcess(process.execPath, [join(here, "chat-floor-servers.mjs"), kind, String(port)], `http://127.0.0.1:${port}/`, `${kind} server`);

/** What each system is: how clients reach it, and whose CPU time is its. */
const systems = {
  app: {
    label: "app (ChatChannel, stored + access-checked)",
    transport: "ws",
    target: (i) => ({ url: `ws://127.0.0.1:${PORTS.app}/api/v1/spaces/${CHAT_SPACE}/socket`, headers: { Cookie: `enclave_session=${tokenOf(i)}`, Origin: base } }),
    async start() {
      if (!reuse) seedChat();
      log("building the app into bench/.build…");
      const served = buildApp();
      return startServer([...served, "--var", `APP_ORIGIN:${base}`], PORTS.app, "/api/v1/health");
    },
    maxRate: (n) => Math.floor(n * APP_RATE_SHARE),
  },
  bare: {
    label: "bare DO (no storage, no auth)",
    transport: "ws",
    target: () => ({ url: `ws://127.0.0.1:${PORTS.bare}/socket`, headers: {} }),
    start: () => startServer(["-c", join(here, "wrangler.chat-bare.toml")], PORTS.bare, "/"),
    maxRate: () => Infinity,
  },
  stored: {
    label: "bare DO + one SQLite insert per message (no auth)",
    transport: "ws",
    target: () => ({ url: `ws://127.0.0.1:${PORTS.stored}/socket-stored`, headers: {} }),
    start: () => startServer(["-c", join(here, "wrangler.chat-bare.toml")], PORTS.stored, "/"),
    maxRate: () => Infinity,
  },
  ws: {
    label: "`ws` broadcast server",
    transport: "ws",
    target: () => ({ url: `ws://127.0.0.1:${PORTS.ws}/socket`, headers: {} }),
    start: () => startNodeServer("ws", PORTS.ws),
    maxRate: () => Infinity,
  },
  socketio: {
    label: "Socket.IO room",
    transport: "socketio",
    target: () => ({ url: `http://127.0.0.1:${PORTS.socketio}`, headers: {} }),
    start: () => startNodeServer("socketio", PORTS.socketio),
    maxRate: () => Infinity,
  },
};

// ---- client threads -----------------------------------------------------------------------------

const threads = Array.from({ length: THREADS }, () => new Worker(join(here, "chat-clients.mjs")));
let nextId = 0;
const waiting = new Map();
for (const t of threads) {
  t.on("message", (msg) => {
    waiting.get(msg.id)?.(msg);
    waiting.delete(msg.id);
  });
  t.on("error", (e) => console.error("client thread:", e));
}
const ask = (t, msg) => new Promise((resolve) => {
  const id = nextId++;
  waiting.set(id, resolve);
  t.postMessage({ ...msg, id });
});
const askAll = (msg) => Promise.all(threads.map((t) => ask(t, msg)));
// client i lives in thread i mod THREADS at local index floor(i / THREADS)
const threadOf = (i) => threads[i % THREADS];
const localOf = (i) => Math.floor(i / THREADS);

async function connect(name, n) {
  const started = performance.now();
  const replies = await Promise.all(
    threads.map((t, k) => {
      const targets = [];
      for (let i = k; i < n; i += THREADS) targets.push({ ...systems[name].target(i), index: i });
      return ask(t, { cmd: "connect", name, transport: systems[name].transport, targets });
    }),
  );
  const connected = replies.reduce((s, r) => s + r.connected, 0);
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  if (connected === n) {
    log(`  ${name}: ${n} sockets in ${seconds} s`);
    return null;
  }
  await askAll({ cmd: "close", name });
  const why = `only ${connected} of ${n} sockets connected in ${seconds} s (${[...new Set(replies.flatMap((r) => r.errors))].join("; ")})`;
  log(`  ${name}: ${why}`);
  return why;
}

/**
 * Waits (at most 20 s) until the server's process group has been quiet (< 5% of a core) for half a
 * second, so what a failing step left queued does not land on the next system's step.
 */
async function settle(pgid) {
  const until = performance.now() + 20_000;
  while (performance.now() < until) {
    const before = cpuOf(pgid).all;
    await sleep(500);
    if (cpuOf(pgid).all - before < 25) return;
  }
}

// ---- one step: a steady rate for SECONDS through one system ------------------------------------

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
let stepNo = 0;
let profiled = false;

async function step(name, n, pgid, rate, seconds = SECONDS) {
  const tag = `${runTag}s${++stepNo}`;
  const total = Math.round(rate * seconds);
  await askAll({ cmd: "start", name, tag, expected: total });
  const profiling = PROFILE && name === (process.env.BENCH_PROFILE_SYSTEM ?? "app") && seconds === SECONDS && !profiled ? await startProfile(PORTS[name] + 1000).catch((e) => log(`  no profile: ${e.message}`)) : null;
  if (profiling) profiled = true;
  const cpuBefore = cpuOf(pgid);
  const t0 = performance.now();
  let k = 0;
  while (k < total) {
    const now = performance.now();
    while (k < total && t0 + (k * 1000) / rate <= now) {
      const i = k % n;
      threadOf(i).postMessage({ cmd: "send", name, local: localOf(i), tag, k, clientId: `bench-${tag}-${k}` });
      k++;
    }
    await sleep(Math.max(0, Math.min(4, t0 + (k * 1000) / rate - performance.now())));
  }
  const sendSeconds = (performance.now() - t0) / 1000;
  const lastSend = performance.now();
  while (performance.now() - lastSend < GRACE_MS) {
    await sleep(100);
    const counts = await askAll({ cmd: "count" });
    if (counts.reduce((s, c) => s + c.unique, 0) >= total * n) break;
  }
  const cpuAfter = cpuOf(pgid);
  if (profiling) {
    const profile = await profiling.stop();
    writeFileSync(join(here, ".build", "app.cpuprofile"), JSON.stringify(profile));
    const { totalMs, rows } = selfTimes(profile, 40);
    log(`  app profile (${fmt(totalMs, 0)} ms sampled; bench/.build/app.cpuprofile), self time:`);
    for (const r of rows) log(`    ${fmt(r.ms, 1).padStart(8)} ms ${fmt(r.share * 100, 1).padStart(5)} %  ${r.name}`);
  }
  const stats = await askAll({ cmd: "stop" });
  const hist = new Map();
  for (const s of stats) for (let j = 0; j < s.used.length; j += 2) hist.set(s.used[j], (hist.get(s.used[j]) ?? 0) + s.used[j + 1]);
  const delivered = stats.reduce((s, x) => s + x.unique, 0);
  const at = (p) => {
    const rank = Math.min(delivered - 1, Math.floor(p * (delivered - 1)));
    let seen = 0;
    for (const [bucket, count] of [...hist].sort((a, b) => a[0] - b[0])) {
      seen += count;
      if (seen > rank) return (bucket + 0.5) * 0.1;
    }
    return NaN;
  };
  const errors = {};
  for (const s of stats) for (const [code, c] of Object.entries(s.errors)) errors[code] = (errors[code] ?? 0) + c;
  return {
    delivered,
    lost: total * n - delivered,
    dups: stats.reduce((s, x) => s + x.dups, 0),
    refused: stats.reduce((s, x) => s + x.refused, 0),
    closed: stats.reduce((s, x) => s + x.closed, 0),
    errors,
    p50: delivered ? at(0.5) : NaN,
    p99: delivered ? at(0.99) : NaN,
    max: delivered ? Math.max(...stats.map((s) => s.max)) : NaN,
    sentRate: total / sendSeconds,
    cpuUs: delivered ? ((cpuAfter.all - cpuBefore.all) * 1000) / delivered : NaN,
    workerdUs: delivered ? ((cpuAfter.workerd - cpuBefore.workerd) * 1000) / delivered : NaN,
    clientElu: Math.max(...stats.map((s) => s.elu)),
  };
}

// ---- the run ----------------------------------------------------------------------------------

const median = (values) => {
  const v = values.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  return v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
};
const fmt = (v, digits = 1) => (Number.isFinite(v) ? v.toFixed(digits) : "–");

const results = []; // { n, rate, name, rounds: [...], med, pass, note }
const done = []; // the sizes measured to the end
const uptimeBefore = run("uptime", []).trim();
// a run stopped by hand (Ctrl-C, kill) still records what it measured and stops its servers
let stopping = false;
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, async () => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: recording what was measured and stopping the servers`);
    if (done.length) report(false);
    await cleanUp();
    process.exit(0);
  });
}
const startedAt = new Date();
try {
  log(`chat fan-out: N ${SIZES.join(", ")}; rates ${RATES.join(", ")} msg/s; ${ROUNDS} round(s) of ${SECONDS} s; systems ${SYSTEMS.join(", ")}; ${THREADS} client threads; data ${persist}`);
  const pgids = {};
  for (const name of SYSTEMS) {
    log(`starting ${name}…`);
    pgids[name] = await systems[name].start();
  }
  for (const n of SIZES) {
    log(`N = ${n}: connecting…`);
    const unreachable = {};
    for (const name of SYSTEMS) {
      const why = await connect(name, n);
      if (why) unreachable[name] = why;
    }
    const reachable = SYSTEMS.filter((name) => !unreachable[name]);
    for (const [name, why] of Object.entries(unreachable)) results.push({ n, rate: RATES[0], name, rounds: [], skipped: why });
    // an unrecorded warm-up per system: the first messages pay for compiling, the object's SQLite
    // tables and D1's first reads, which no later step does
    for (const name of reachable) {
      await step(name, n, pgids[name], Math.min(RATES[0], systems[name].maxRate(n)), WARMUP_SECONDS);
      await settle(pgids[name]);
    }
    let climbing = [...reachable];
    for (const rate of RATES) {
      const here = climbing.filter((name) => rate <= systems[name].maxRate(n));
      for (const name of climbing.filter((x) => !here.includes(x))) {
        results.push({ n, rate, name, rounds: [], skipped: `over ${APP_RATE_SHARE}·N: the object's 10 messages in 10 s per member` });
      }
      if (here.length === 0) break;
      const rounds = Object.fromEntries(here.map((name) => [name, []]));
      for (let r = 0; r < ROUNDS; r++) {
        // who goes first rotates, so load that comes and goes falls on every system
        for (let j = 0; j < here.length; j++) {
          const name = here[(j + r) % here.length];
          const s = await step(name, n, pgids[name], rate);
          rounds[name].push(s);
          log(`  N ${n} ${rate}/s ${name} r${r + 1}: p50 ${fmt(s.p50)} p99 ${fmt(s.p99)} max ${fmt(s.max)} ms, lost ${s.lost}, ${fmt(s.cpuUs)} µs CPU/delivery, sent ${fmt(s.sentRate)}/s, client ELU ${fmt(s.clientElu, 2)}${Object.keys(s.errors).length ? ` errors ${JSON.stringify(s.errors)}` : ""}${s.closed ? `, ${s.closed} sockets closed` : ""}${s.dups ? `, ${s.dups} duplicates` : ""}`);
          await settle(pgids[name]);
        }
      }
      for (const name of here) {
        const rs = rounds[name];
        const med = Object.fromEntries(["p50", "p99", "max", "cpuUs", "workerdUs", "sentRate", "clientElu"].map((key) => [key, median(rs.map((s) => s[key]))]));
        const lost = rs.reduce((s, x) => s + x.lost, 0);
        const pass = lost === 0 && med.p99 <= P99_LIMIT_MS;
        results.push({ n, rate, name, rounds: rs, med, lost, pass, clientBound: rs.some((s) => s.clientElu > 0.9), errors: rs.reduce((e, s) => ({ ...e, ...s.errors }), {}), closed: rs.reduce((t, s) => t + s.closed, 0) });
      }
      climbing = climbing.filter((name) => !here.includes(name) || results.find((x) => x.n === n && x.rate === rate && x.name === name).pass);
      if (climbing.length === 0) break;
    }
    for (const name of SYSTEMS) await askAll({ cmd: "close", name });
    done.push(n);
    // recorded after each N, so a run stopped later keeps what it measured
    if (n !== SIZES[SIZES.length - 1]) report(false);
    await sleep(1000);
  }
  await cleanUp();
  await Promise.all(threads.map((t) => t.terminate()));
  report(true);
} catch (error) {
  stopped(error);
  await cleanUp();
  await Promise.all(threads.map((t) => t.terminate()));
  if (done.length) report(false);
}

/** Prints the section for the sizes measured so far and (when recording) writes it to RESULTS.md, marked partial until the last N is done. */
function report(finished) {
  const uptimeAfter = run("uptime", []).trim();
  const highest = (n, name) => Math.max(0, ...results.filter((r) => r.n === n && r.name === name && r.pass).map((r) => r.rate));
  const row = (n, rate, name) => results.find((r) => r.n === n && r.rate === rate && r.name === name);
  const lines = [
    "# Chat fan-out",
    "",
    `Measured ${startedAt.toISOString().slice(0, 16).replace("T", " ")} UTC by \`npm run bench:chat${argv.length ? ` -- ${argv.join(" ")}` : ""}\` (bench/chat-fanout.mjs) on ${cpus()[0]?.model ?? "?"}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB. ` +
      `**The machine's 2 cores are shared with other engineers' builds and tests**: the servers, wrangler's proxy and the ${THREADS} client threads all compete for them, so absolute figures are pessimistic and noisy; the comparison between systems measured in turn is the point.`,
    ...(finished ? [] : [`**Partial**: N = ${done.join(", ")} measured of ${SIZES.join(", ")}.`]),
    `Load before: \`${uptimeBefore}\`; after: \`${uptimeAfter}\`. The run took ${((Date.now() - startedAt.getTime()) / 60_000).toFixed(1)} min.`,
    "",
    `${ROUNDS} round(s) of ${SECONDS} s per system and rate, interleaved (who goes first rotates); figures are medians over the rounds. ` +
      `Latency is arrival minus the sender's timestamp in the body (one monotonic clock: all clients are in this process). A rate passes with 0 lost in every round (every client gets every message within ${GRACE_MS / 1000} s of the last send) and a median p99 ≤ ${P99_LIMIT_MS} ms; a system stops climbing at its first failing rate. ` +
      "Server CPU per delivery is the CPU time of the server's whole process group (wrangler's node proxy + workerd for app and bare; the node process for ws and Socket.IO) across the step ÷ messages delivered; workerd's own share in brackets. " +
      "Client ELU is the busiest client thread's event-loop utilisation; ≥ 0.9 marks a step as client-bound.",
    "",
  ];
  for (const n of done) {
    lines.push(`## N = ${n}`, "", "| rate (msg/s) | system | p50 / p99 / max (ms) | lost or > 3 s late | CPU µs per delivery (workerd) | sent msg/s | client ELU | verdict |", "| --- | --- | --- | --- | --- | --- | --- | --- |");
    for (const rate of RATES) {
      for (const name of SYSTEMS) {
        const r = row(n, rate, name);
        if (!r) continue;
        if (r.skipped) {
          lines.push(`| ${rate} | ${name} | – | – | – | – | – | not run: ${r.skipped} |`);
          continue;
        }
        const m = r.med;
        const notes = [r.pass ? "pass" : "**fail**", r.clientBound ? "client-bound" : "", Object.keys(r.errors).length ? `errors ${Object.entries(r.errors).map(([c, k]) => `${c}×${k}`).join(", ")}` : "", r.closed ? `${r.closed} sockets closed` : ""].filter(Boolean).join("; ");
        const ws = name === "app" || name === "bare" || name === "stored" ? ` (${fmt(m.workerdUs)})` : "";
        lines.push(`| ${rate} | ${name} | ${fmt(m.p50)} / ${fmt(m.p99)} / ${fmt(m.max, 0)} | ${r.lost} | ${fmt(m.cpuUs)}${ws} | ${fmt(m.sentRate, 0)} | ${fmt(m.clientElu, 2)} | ${notes} |`);
      }
    }
    lines.push("", `Highest passing rate: ${SYSTEMS.map((name) => `${name} ${highest(n, name) || "none"}`).join(", ")} msg/s.`, "");
  }
  // the issue's targets, where the run measured what they compare
  const n = done[done.length - 1];
  const has = (name) => SYSTEMS.includes(name) && results.some((r) => r.n === n && r.name === name && r.med);
  if (has("app") && has("bare")) {
    const app20 = row(n, RATES[0], "app")?.med;
    const bare20 = row(n, RATES[0], "bare")?.med;
    const t = [`Targets at N = ${n} (issue 12):`];
    // a latency or CPU ratio between two systems that both failed the rate compares backlogs, not speed
    const both = (name) => (row(n, RATES[0], "app")?.pass && row(n, RATES[0], name)?.pass ? "" : " (not both passing at this rate: the ratio compares backlogs, not a target)");
    const verdict = (app, floor) => (app === 0 && floor === 0 ? "neither passed the lowest rate" : app >= floor ? "met" : "not met");
    t.push(`- highest passing rate at least the bare object's: app ${highest(n, "app") || "none"} vs bare ${highest(n, "bare") || "none"} → ${verdict(highest(n, "app"), highest(n, "bare"))}`);
    if (app20 && bare20) t.push(`- p99 at ${RATES[0]} msg/s within 1.5× the bare object's: ${fmt(app20.p99)} vs ${fmt(bare20.p99)} ms = ${fmt(app20.p99 / bare20.p99, 2)}× → ${app20.p99 <= 1.5 * bare20.p99 ? "met" : "not met"}${both("bare")}`);
    if (has("stored")) {
      const stored20 = row(n, RATES[0], "stored")?.med;
      t.push(`- for reference, the floor with one SQLite write per message: highest passing rate ${highest(n, "stored") || "none"}${app20 && stored20 ? `; app p99 at ${RATES[0]} msg/s ${fmt(app20.p99 / stored20.p99, 2)}× its ${fmt(stored20.p99)} ms${both("stored")}` : ""}`);
    }
    if (has("socketio")) {
      const sio20 = row(n, RATES[0], "socketio")?.med;
      t.push(`- stretch: highest passing rate at least Socket.IO's: ${highest(n, "app") || "none"} vs ${highest(n, "socketio") || "none"} → ${verdict(highest(n, "app"), highest(n, "socketio"))}`);
      if (app20 && sio20) t.push(`- stretch: p99 at ${RATES[0]} msg/s within 2× Socket.IO's: ${fmt(app20.p99)} vs ${fmt(sio20.p99)} ms = ${fmt(app20.p99 / sio20.p99, 2)}× → ${app20.p99 <= 2 * sio20.p99 ? "met" : "not met"}${both("socketio")}`);
    }
    if (has("ws")) {
      const ws20 = row(n, RATES[0], "ws")?.med;
      if (app20 && ws20) t.push(`- stretch: server CPU per delivery within 3× the \`ws\` floor: ${fmt(app20.cpuUs)} vs ${fmt(ws20.cpuUs)} µs = ${fmt(app20.cpuUs / ws20.cpuUs, 2)}× → ${app20.cpuUs <= 3 * ws20.cpuUs ? "met" : "not met"}`);
    }
    lines.push(...t, "");
  }
  const text = lines.join("\n");
  console.log(`\n${text}`);
  if (WRITE) writeResultsSection(text);
  else log("not written to bench/RESULTS.md (a partial run; add --write to record it)");
}
