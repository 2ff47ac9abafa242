// What the benchmarks share (bench/feed.mjs, bench/pages.mjs): the seeded community (100k posts by
// default), wrangler dev servers over one persisted data directory, request loops timed in turn,
// a build of the app in its own folder, and bench/RESULTS.md written section by section.
import { createHash, randomBytes } from "node:crypto";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const here = dirname(fileURLToPath(import.meta.url));
export const root = join(here, "..");

export const POSTS = Number(process.env.BENCH_POSTS ?? 100_000);
export const SPACES = 20;
export const AUTHORS = 50;
// p99 of 1,000 samples is the 10th worst: steadier than of a few hundred, where one stall decides it
export const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 1000);
export const WARMUP = 20;
export const env = { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false", NO_COLOR: "1" };
export const reuse = process.env.BENCH_DATA ?? null;
export const persist = reuse ?? mkdtempSync(join(tmpdir(), "enclave-bench-"));
export const log = (...a) => console.log(`[${new Date().toISOString().slice(11, 19)}]`, ...a);

export function run(cmd, args, opts = {}) {
  const res = spawnSync(cmd, args, { cwd: root, env, encoding: "utf8", maxBuffer: 1 << 28, ...opts });
  if (res.status !== 0) throw new Error(`${cmd} ${args.join(" ")} exited with ${res.status}\n${(res.stderr || res.stdout || "").slice(-3000)}`);
  return res.stdout;
}

// ---- seed ---------------------------------------------------------------------------------------

// deterministic text: a small PRNG so every run measures the same data
let state = 42;
const rand = () => ((state = (state * 1103515245 + 12345) % 2147483648) / 2147483648);
const pick = (list) => list[Math.floor(rand() * list.length)];
const english = "garden recipe travel budget meeting photo music book design coffee running launch workshop member update question idea review weekend market class lesson teacher student project photo video stream plan goal habit health sleep camera city river mountain office remote hiring salary product customer feedback release bug feature roadmap".split(" ");
const chinese = ["今天的活動很順利", "大家覺得新的課程怎麼樣", "週末一起去爬山", "分享一下我的讀書心得", "這個月的營收報告", "請問有人用過這個工具嗎", "會員專屬的直播時間", "新手入門的建議"];
export const q = (s) => `'${s.replace(/'/g, "''")}'`;

function postText(i) {
  const words = Array.from({ length: 40 }, () => pick(english));
  const roll = rand();
  // the searched words, at known rates: "community" ~2%, 付費模式 ~1%, 付費 ~3%, 貓 ~2%
  if (roll < 0.02) words.splice(Math.floor(rand() * 40), 0, "community");
  let body = words.join(" ");
  if (rand() < 0.4) body += ` ${pick(chinese)}。`;
  const cjk = rand();
  if (cjk < 0.01) body += "我們改成付費模式之後會員變多了。";
  else if (cjk < 0.03) body += "想了解付費方案的細節。";
  if (rand() < 0.02) body += "我家的貓很可愛。";
  // a rare character, 0.1% of posts (by position, so the random text above stays as it was)
  if (i % 1000 === 500) body += "囍字剪紙。";
  const title = `${pick(english)} ${pick(english)} ${i % 97 === 0 ? "community " : ""}${pick(english)}`;
  return { title: title[0].toUpperCase() + title.slice(1), body };
}

// The app stores each post's excerpt at write time (workers/lib/markdown.ts excerpt()). These bodies
// hold no Markdown syntax, so their excerpt is the text, whitespace collapsed, cut to 200 characters.
function plainExcerpt(text, max = 200) {
  const chars = [...text.replace(/\s+/g, " ").trim()];
  return chars.length <= max ? chars.join("") : `${chars.slice(0, max - 1).join("").trimEnd()}…`;
}

// a kept data directory holds its reader's token, so a later run can sign in as the same reader
export const token = reuse ? readFileSync(join(reuse, "reader-token"), "utf8").trim() : randomBytes(32).toString("hex");
export const sessionId = createHash("sha256").update(token).digest("hex");
export const READER = "usr_benchreader";
export const COMMUNITY = "com_bench";
export const SLUG = "bench";
export const spaceId = (k) => `spc_bench${String(k).padStart(2, "0")}`;
export const now = Date.now();

export function seedFiles() {
  const dir = join(persist, "seed");
  run("mkdir", ["-p", dir]);
  const files = [];
  const head = [
    `INSERT INTO users (id, email, name, created_at) VALUES (${q(READER)}, 'reader@bench.test', 'Bench Reader', ${now - 86_400_000});`,
    ...Array.from({ length: AUTHORS }, (_, a) => `INSERT INTO users (id, email, name) VALUES ('usr_author${a}', 'author${a}@bench.test', 'Author ${a}');`),
    `INSERT INTO sessions (id, user_id, expires_at) VALUES (${q(sessionId)}, ${q(READER)}, ${now + 86_400_000});`,
    `INSERT INTO communities (id, slug, name, visibility, owner_id) VALUES (${q(COMMUNITY)}, ${q(SLUG)}, 'Bench', 'private', 'usr_author0');`,
    `INSERT INTO memberships (community_id, user_id, role, paid_tier, joined_at) VALUES (${q(COMMUNITY)}, ${q(READER)}, 'member', 'vip', ${now});`,
    ...Array.from({ length: AUTHORS }, (_, a) => `INSERT INTO memberships (community_id, user_id, role, joined_at) VALUES (${q(COMMUNITY)}, 'usr_author${a}', ${a === 0 ? "'owner'" : "'member'"}, ${now});`),
    ...Array.from({ length: SPACES }, (_, k) => `INSERT INTO spaces (id, community_id, kind, name, position) VALUES (${q(spaceId(k))}, ${q(COMMUNITY)}, 'discussion', 'Space ${k}', ${k});`),
  ];
  writeFileSync(join(dir, "0-head.sql"), head.join("\n"));
  files.push(join(dir, "0-head.sql"));
  const PER_FILE = 10_000;
  for (let start = 1; start <= POSTS; start += PER_FILE) {
    const lines = [];
    for (let s = start; s < Math.min(start + PER_FILE, POSTS + 1); s += 100) {
      const rows = [];
      for (let i = s; i < Math.min(s + 100, start + PER_FILE, POSTS + 1); i++) {
        const { title, body } = postText(i);
        rows.push(`(${i}, 'pst_b${i}', ${q(COMMUNITY)}, ${q(spaceId(i % SPACES))}, 'usr_author${i % AUTHORS}', ${q(title)}, ${q(body)}, ${q(plainExcerpt(body))}, ${now - (POSTS - i) * 60_000})`);
      }
      lines.push(`INSERT INTO posts (seq, id, community_id, space_id, author_id, title, body, excerpt, created_at) VALUES\n${rows.join(",\n")};`);
    }
    const file = join(dir, `posts-${start}.sql`);
    writeFileSync(file, lines.join("\n"));
    files.push(file);
  }
  return files;
}


// ---- servers ------------------------------------------------------------------------------------

export const servers = [];
export function stopServers() {
  return Promise.all(
    servers.splice(0).map((server) => {
      if (server.exitCode !== null) return Promise.resolve();
      const exited = new Promise((r) => server.once("exit", r));
      try {
        process.kill(-server.pid, "SIGTERM"); // the whole group: npx → wrangler → workerd
      } catch {
        server.kill("SIGTERM");
      }
      return Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    }),
  );
}

/** Starts wrangler dev --local on `port` over the shared data directory; answers its process group id once `probe` answers 200. */
export function startServer(args, port, probe) {
  return startProcess(
    "npx",
    ["wrangler", "dev", "--local", "--ip", "127.0.0.1", "--port", String(port), "--inspector-port", String(port + 1000), "--persist-to", persist, ...args],
    `http://127.0.0.1:${port}${probe}`,
    "wrangler dev",
  );
}

/**
 * Spawns a server in its own process group (stopServers ends the group), waits up to 90 s for
 * `probeUrl` to answer 200 and answers the group id (its pid), whose CPU time /proc then sums.
 */
export async function startProcess(cmd, args, probeUrl, what = cmd) {
  const server = spawn(cmd, args, { cwd: root, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  servers.push(server);
  let out = "";
  server.stdout.on("data", (d) => (out += d));
  server.stderr.on("data", (d) => (out += d));
  const until = Date.now() + 90_000;
  while (Date.now() < until) {
    if (server.exitCode !== null) throw new Error(`${what} exited early:\n${out.slice(-3000)}`);
    try {
      if ((await fetch(probeUrl)).ok) return server.pid;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`${what} at ${probeUrl} did not answer:\n${out.slice(-3000)}`);
}


// ---- measuring ----------------------------------------------------------------------------------

export const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor(p * (sorted.length - 1)))];
export function summary(times) {
  const sorted = [...times].sort((a, b) => a - b);
  return { p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99), n: sorted.length };
}

export async function timed(url, headers) {
  const started = performance.now();
  const res = await fetch(url, { headers });
  await res.arrayBuffer();
  if (!res.ok) throw new Error(`${url} answered ${res.status}`);
  return performance.now() - started;
}

/**
 * The app and the minimal Workers request by request in turn (who goes first rotates), so all
 * see the same machine: load that comes and goes lands on every series, not on one.
 */
export async function timeInTurn(series, requests = REQUESTS) {
  for (let i = 0; i < WARMUP; i++) for (const s of series) await timed(s.url(i), s.headers);
  const times = series.map(() => []);
  for (let i = 0; i < requests; i++) {
    for (let k = 0; k < series.length; k++) {
      const at = (i + k) % series.length;
      times[at].push(await timed(series[at].url(i), series[at].headers));
    }
  }
  return times.map(summary);
}


// ---- build --------------------------------------------------------------------------------------

/** Where benchmarks build the app: never build/, which a running `npm start` serves from. */
export const BUILD_DIR = join(here, ".build");
const deployRedirect = join(root, ".wrangler", "deploy", "config.json");

/**
 * Builds the app into BUILD_DIR (react-router.config.ts reads ENCLAVE_BUILD_DIR) and answers the
 * wrangler arguments that serve that build. The build also points .wrangler/deploy/config.json
 * (the Cloudflare Vite plugin's redirect for a bare `wrangler dev`) at it; that file is put back as
 * it was, so `npm run serve` keeps serving build/.
 */
export function buildApp() {
  const before = existsSync(deployRedirect) ? readFileSync(deployRedirect, "utf8") : null;
  try {
    run("npx", ["react-router", "build"], { env: { ...env, ENCLAVE_BUILD_DIR: BUILD_DIR } });
  } finally {
    if (before === null) rmSync(deployRedirect, { force: true });
    else writeFileSync(deployRedirect, before);
  }
  return ["-c", join(BUILD_DIR, "server", "wrangler.json")];
}

// ---- report -------------------------------------------------------------------------------------

/**
 * Writes `text` (starting with its own "# " heading) into bench/RESULTS.md in place of the section
 * with the same heading, or after the others; each benchmark owns one section.
 */
export function writeResultsSection(text) {
  const file = join(here, "RESULTS.md");
  const heading = text.split("\n", 1)[0];
  const old = existsSync(file) ? readFileSync(file, "utf8") : "";
  const sections = old.split(/\n(?=# )/).filter((s) => s.trim() !== "");
  const at = sections.findIndex((s) => s.split("\n", 1)[0] === heading);
  if (at >= 0) sections[at] = text.trimEnd();
  else sections.push(text.trimEnd());
  writeFileSync(file, `${sections.map((s) => s.trimEnd()).join("\n\n")}\n`);
}

/** A run that failed says why and still exits 0: a benchmark reports; it never fails a pipeline. */
export function stopped(error) {
  console.error(`benchmark stopped: ${error.stack ?? error}`);
  process.exitCode = 0;
}

/** Stops the servers and removes the data directory unless BENCH_KEEP or a reused BENCH_DATA keeps it. */
export async function cleanUp() {
  await stopServers();
  if (process.env.BENCH_KEEP || reuse) log(`kept ${persist}`);
  else rmSync(persist, { recursive: true, force: true });
}
