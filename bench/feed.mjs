// Feed and search latency: the app against a minimal Worker running the same SQL, and against
// raw SQLite. A benchmark reports; it never fails anything. Not part of `npm test`.
//
//   npm run bench:feed            (or: npx node bench/feed.mjs)
//   BENCH_POSTS=20000 BENCH_REQUESTS=100 npm run bench:feed   (a quicker run; BENCH_KEEP=1 keeps the data)
//   BENCH_DATA=/tmp/enclave-bench-xxxx npm run bench:feed     (reuse data a BENCH_KEEP run left; skips seeding,
//                                                              does not rewrite bench/RESULTS.md)
//
// 1. seeds 100k posts across 20 spaces (SQL files loaded with `wrangler d1 execute --local
//    --persist-to <tmp> --file`), a reader with a session cookie, and builds the search index
//    with scripts/reindex.mjs;
// 2. builds the app into bench/.build (never build/, which `npm start` serves) and serves it with `wrangler dev --local --port 8790
//    --persist-to <tmp>` (as tests/e2e/run.mjs does), measures bounded request loops on 127.0.0.1;
// 3. serves bench/minimal-worker.ts on :8791 over the same persisted databases, same loops;
// 4. times the same SQL on the persisted .sqlite files with node:sqlite;
// 5. prints a table and writes bench/RESULTS.md.
import { readdirSync, statSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import {
  AUTHORS,
  buildApp,
  COMMUNITY,
  log,
  persist,
  POSTS,
  READER,
  REQUESTS,
  reuse,
  root,
  run,
  seedFiles,
  stopped,
  cleanUp,
  SLUG,
  SPACES,
  spaceId,
  startServer,
  stopServers,
  summary,
  timed,
  timeInTurn,
  token,
  WARMUP,
  here,
  writeResultsSection,
} from "./harness.mjs";

const { FEED_SQL, SEARCH_LIMIT } = await import(join(here, "queries.ts"));
const { plan, searchTerms } = await import(join(root, "workers/domain/search/plan.ts"));

const APP_PORT = 8790;
const MINIMAL_PORT = 8791;
const MINIMAL_ASSETS_PORT = 8792;
const PAGE = 20;

// feed positions: the newest page, and pages 2,500–4,900 posts deep (each space holds POSTS/20)
const perSpace = Math.floor(POSTS / SPACES);
const deepBefore = (i) => {
  const k = i % SPACES;
  const depth = Math.floor(perSpace / 2) + ((i * 7919) % Math.floor(perSpace / 2 - PAGE));
  return { k, before: (perSpace - depth) * SPACES + k };
};
const cursor = (before) => Buffer.from(JSON.stringify([before, null])).toString("base64url");
const searches = [
  { key: "search: English word", q: "community" },
  { key: "search: Chinese phrase (4 chars)", q: "付費模式" },
  { key: "search: Chinese word (2 chars)", q: "付費", short: true },
  { key: "search: common Chinese character (1 char)", q: "的", short: true },
  { key: "search: rare Chinese character (1 char)", q: "囍", short: true },
];
const NO_QUERY = "no query: GET /api/v1/health (signed out)";

async function measure() {
  const app = `http://127.0.0.1:${APP_PORT}/api/v1`;
  const minimal = `http://127.0.0.1:${MINIMAL_PORT}`;
  const withAssets = `http://127.0.0.1:${MINIMAL_ASSETS_PORT}`;
  const headers = { Cookie: `enclave_session=${token}` };
  const check = await fetch(`${app}/spaces/${spaceId(0)}/posts?limit=${PAGE}`, { headers });
  if (!check.ok) throw new Error(`the app's feed answered ${check.status}: ${await check.text()}`);
  const big = Number.MAX_SAFE_INTEGER;
  const scenarios = {
    "feed: first page": [
      (i) => `${app}/spaces/${spaceId(i % SPACES)}/posts?limit=${PAGE}`,
      (i) => `${minimal}/feed?space=${spaceId(i % SPACES)}&user=${READER}&before=${big}&limit=${PAGE + 1}`,
    ],
    "feed: deep cursor page": [
      (i) => {
        const { k, before } = deepBefore(i);
        return `${app}/spaces/${spaceId(k)}/posts?limit=${PAGE}&cursor=${cursor(before)}`;
      },
      (i) => {
        const { k, before } = deepBefore(i);
        return `${minimal}/feed?space=${spaceId(k)}&user=${READER}&before=${before}&limit=${PAGE + 1}`;
      },
    ],
    // no query at all: the fixed cost of the app's stack (middleware, routing) against a Worker
    // that answers "ok"
    [NO_QUERY]: [() => `${app}/health`, () => `${minimal}/`],
  };
  for (const s of searches) {
    const appUrl = `${app}/communities/${SLUG}/search?q=${encodeURIComponent(s.q)}&limit=${PAGE}`;
    // the reader may read every space, so the app's plan has no space filter (query.ts planFor)
    const minimalUrl = `${minimal}/search?community=${COMMUNITY}&q=${encodeURIComponent(s.q)}`;
    s.appHits = (await (await fetch(appUrl, { headers })).json()).items?.length ?? 0;
    s.minimalHits = (await (await fetch(minimalUrl)).json()).items;
    scenarios[s.key] = [() => appUrl, () => minimalUrl, REQUESTS];
  }
  const results = { app: {}, minimal: {}, withAssets: {} };
  for (const [key, [appUrl, minimalUrl, requests]] of Object.entries(scenarios)) {
    log(`  ${key}`);
    const [a, m, w] = await timeInTurn(
      [
        { url: appUrl, headers },
        { url: minimalUrl, headers: {} },
        // the same minimal Worker behind the asset router
        { url: (i) => minimalUrl(i).replace(minimal, withAssets), headers: {} },
      ],
      requests,
    );
    results.app[key] = a;
    results.minimal[key] = m;
    results.withAssets[key] = w;
  }
  return results;
}

// workerd may hold its lock for a moment after wrangler exits
async function openWhenFree(file) {
  for (let attempt = 0; ; attempt++) {
    const db = new DatabaseSync(file, { readOnly: true });
    try {
      db.prepare("SELECT count(*) FROM sqlite_master").get();
      return db;
    } catch (error) {
      db.close();
      if (attempt >= 40) throw error;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

async function sqliteFiles() {
  const dir = join(persist, "v3", "d1", "miniflare-D1DatabaseObject");
  const files = readdirSync(dir).filter((f) => f.endsWith(".sqlite")).map((f) => join(dir, f));
  const found = {};
  for (const file of files) {
    const db = await openWhenFree(file);
    if (db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'posts'").get()) found.main = file;
    if (db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'search_docs'").get()) found.search = file;
    db.close();
  }
  return found;
}

function timeSql(db, sql, paramsFor) {
  const statement = db.prepare(sql);
  for (let i = 0; i < WARMUP; i++) statement.all(...paramsFor(i));
  const times = [];
  for (let i = 0; i < REQUESTS; i++) {
    const started = performance.now();
    statement.all(...paramsFor(i));
    times.push(performance.now() - started);
  }
  return summary(times);
}

function measureRaw(files) {
  const main = new DatabaseSync(files.main, { readOnly: true });
  const search = new DatabaseSync(files.search, { readOnly: true });
  const results = {};
  const big = Number.MAX_SAFE_INTEGER;
  results["feed: first page"] = timeSql(main, FEED_SQL, (i) => [spaceId(i % SPACES), READER, big, PAGE + 1]);
  results["feed: deep cursor page"] = timeSql(main, FEED_SQL, (i) => {
    const { k, before } = deepBefore(i);
    return [spaceId(k), READER, before, PAGE + 1];
  });
  for (const s of searches) {
    const query = plan(COMMUNITY, searchTerms(s.q), null);
    s.rawMatches = search.prepare(query.sql.replace(/LIMIT \? OFFSET \?/, "")).all(...query.params).length;
    results[s.key] = timeSql(search, query.sql, () => [...query.params, SEARCH_LIMIT, 0]);
    if (s.short) {
      // the LIKE scan these terms took before the grams index (ADR 007), and still take until it is filled
      const like = plan(COMMUNITY, searchTerms(s.q), null, false);
      s.likeMatches = search.prepare(like.sql.replace(/LIMIT \? OFFSET \?/, "")).all(...like.params).length;
      s.like = timeSql(search, like.sql, () => [...like.params, SEARCH_LIMIT, 0]);
    }
  }
  main.close();
  search.close();
  return results;
}

// ---- report -------------------------------------------------------------------------------------

const ms = (v) => (v === undefined ? "–" : v < 1 ? v.toFixed(2) : v.toFixed(1));

const verdict = (key, ratio) => (key === NO_QUERY ? "reference, no target" : ratio <= 1.5 ? "≤ 1.5× target met" : "over the 1.5× target");

function table(app, minimal, withAssets, raw) {
  const rows = [
    "| scenario | app p50 / p99 (ms) | minimal Worker p50 / p99 (ms) | p99 ratio app ÷ minimal (p50 ratio) | minimal Worker behind assets p50 / p99 (ms) | p99 ratio app ÷ it (p50 ratio) | raw SQLite p50 / p99 (ms) |",
    "| --- | --- | --- | --- | --- | --- | --- |",
  ];
  for (const key of Object.keys(app)) {
    const r99 = app[key].p99 / minimal[key].p99;
    const w99 = app[key].p99 / withAssets[key].p99;
    rows.push(
      `| ${key} | ${ms(app[key].p50)} / ${ms(app[key].p99)} | ${ms(minimal[key].p50)} / ${ms(minimal[key].p99)} | **${r99.toFixed(2)}×** ${verdict(key, r99)} (${(app[key].p50 / minimal[key].p50).toFixed(2)}×) | ${ms(withAssets[key].p50)} / ${ms(withAssets[key].p99)} | ${w99.toFixed(2)}× (${(app[key].p50 / withAssets[key].p50).toFixed(2)}×) | ${ms(raw[key]?.p50)} / ${ms(raw[key]?.p99)} |`,
    );
  }
  return rows.join("\n");
}

const loadAtStart = loadavg()[0];
try {
  log(`persist dir ${persist}; ${POSTS} posts in ${SPACES} spaces; ${REQUESTS} timed requests per scenario after ${WARMUP} warm-up`);
  let seedMs = NaN;
  let reindexMs = NaN;
  if (!reuse) {
    run("npx", ["wrangler", "d1", "migrations", "apply", "DB", "--local", "-c", "wrangler.toml", "--persist-to", persist]);
    run("npx", ["wrangler", "d1", "migrations", "apply", "SEARCH", "--local", "-c", "wrangler.toml", "--persist-to", persist]);
    let t = performance.now();
    const files = seedFiles();
    for (const file of files) run("npx", ["wrangler", "d1", "execute", "DB", "--local", "-c", "wrangler.toml", "--persist-to", persist, "--file", file]);
    seedMs = performance.now() - t;
    log(`seeded in ${(seedMs / 1000).toFixed(1)} s`);
    t = performance.now();
    log(run("npx", ["node", "scripts/reindex.mjs", "--persist-to", persist]).trim());
    reindexMs = performance.now() - t;
    log(`search index built in ${(reindexMs / 1000).toFixed(1)} s`);
    writeFileSync(join(persist, "reader-token"), token);
  }

  log("building the app…");
  const served = buildApp();
  await startServer([...served, "--var", `APP_ORIGIN:http://127.0.0.1:${APP_PORT}`], APP_PORT, "/api/v1/health");
  await startServer(["-c", join("bench", "wrangler.minimal.toml")], MINIMAL_PORT, "/");
  await startServer(["-c", join("bench", "wrangler.minimal-assets.toml")], MINIMAL_ASSETS_PORT, "/");
  log("measuring the app and the minimal Workers, request by request in turn…");
  const { app, minimal, withAssets } = await measure();
  await stopServers();

  log("measuring raw SQLite…");
  const sqlite = await sqliteFiles();
  const raw = measureRaw(sqlite);
  const searchBytes = statSync(sqlite.search).size;
  const mainBytes = statSync(sqlite.main).size;

  const result = table(app, minimal, withAssets, raw);
  const hits = searches
    .map((s) => `| ${s.q} | ${s.rawMatches} | ${s.minimalHits} | ${s.appHits} |`)
    .join("\n");
  const english = app["search: English word"];
  const shortRows = searches
    .filter((s) => s.short)
    .map((s) => {
      const ratio = app[s.key].p99 / english.p99;
      return `| ${s.q} | ${ms(app[s.key].p50)} / ${ms(app[s.key].p99)} | **${ratio.toFixed(2)}×** ${ratio <= 1.5 ? "≤ 1.5× target met" : "over the 1.5× target"} | ${ms(raw[s.key].p50)} / ${ms(raw[s.key].p99)} | ${ms(s.like.p50)} / ${ms(s.like.p99)} | ${s.rawMatches === s.likeMatches ? "yes" : `no: ${s.rawMatches} against ${s.likeMatches}`} |`;
    })
    .join("\n");
  const report = `# Feed and search benchmark (bench/feed.mjs)

Measured ${new Date().toISOString().slice(0, 10)} on this machine (${process.platform}, Node ${process.version}), wrangler dev --local
(workerd + local D1), sequential requests on 127.0.0.1 (one at a time, keep-alive), ${WARMUP} warm-up and
${REQUESTS} timed requests per scenario, the app's and both minimal Workers' in turn (all three servers up, over the same
persisted data) so that changing machine load falls on both series alike. Data: ${POSTS.toLocaleString("en")} posts in ${SPACES} spaces of one private community
(${perSpace.toLocaleString("en")} per space), ${AUTHORS} authors; the reader is a vip member with a session cookie.
Machine load average (1 min) ${loadAtStart.toFixed(2)} at the start and ${loadavg()[0].toFixed(2)} at the end. On this
2-CPU machine a p99 moves by ±0.15× between runs of the same code; the p50 ratio in brackets is the steadier figure.

The target (bold) is judged against the minimal Worker as the issue defines it: the same SQL, nothing
else. The app also serves the web front end from the same Worker (ARCHITECTURE.md), so each of its API
requests first passes the Workers Assets router (\`run_worker_first\`); locally that hop alone costs
about a millisecond. The column "behind assets" runs the same minimal Worker behind that router, so
its ratio is the app's own cost: session, access checks, views, JSON.

${result}

- feed: first page = GET /api/v1/spaces/:id/posts?limit=${PAGE} (newest ${PAGE}; in the same D1 batch the app also
  reads the session, the space access, pinned posts and the reader's last visit, with reaction summaries as
  a column of the page, and records the visit after the response; ADR 010). Deep cursor page (the
  session, the access and the page only) =
  a page ${Math.floor(perSpace / 2).toLocaleString("en")}–${(perSpace - PAGE).toLocaleString("en")} posts down. The minimal Worker runs only the page query
  (bench/queries.ts) on the same persisted database; raw SQLite runs it through node:sqlite.
- search = GET /api/v1/communities/${SLUG}/search?q=…&limit=${PAGE}. The minimal Worker and raw SQLite run the
  candidate query the app runs (workers/domain/search/plan.ts, ${SEARCH_LIMIT} candidates with their text; no
  space filter, as the reader may read every space); the app runs that query first (the plan the reader
  last searched with, ADR 010), then one main-database batch with the session, membership, spaces and
  the candidates' posts and comments, filters them through readable.ts and builds the snippets. A
  reader's first search in an isolate reads main database, index, main database in turn.

Matches per query (all documents / candidates returned by the minimal Worker / hits in the app's first page):

| q | matching documents | minimal Worker rows | app hits |
| --- | --- | --- | --- |
${hits}

Seeding: ${(seedMs / 1000).toFixed(1)} s (wrangler d1 execute --file); search index build via scripts/reindex.mjs:
${(reindexMs / 1000).toFixed(1)} s. Database files: main ${(mainBytes / 1e6).toFixed(1)} MB, search (documents, trigram
index, CJK grams index) ${(searchBytes / 1e6).toFixed(1)} MB.

1–2 character CJK words through the unigram+bigram index (search_grams, ADR 016), against the English
word ("community", app p99 ${ms(english.p99)} ms) — the issue's target is a p99 within 1.5× of it — and
against the LIKE scan they took before (the same plan with the index off, raw SQLite, same data):

| q | app p50 / p99 (ms) | app p99 ÷ English word app p99 | raw SQLite, index p50 / p99 (ms) | raw SQLite, LIKE scan p50 / p99 (ms) | same matching documents as LIKE |
| --- | --- | --- | --- | --- | --- |
${shortRows}
`;
  if (!reuse) writeResultsSection(report);
  console.log(`\n${result}\n`);
  console.log(`${shortRows}\n`);
  log(reuse ? "reused data: bench/RESULTS.md left as it was" : "wrote bench/RESULTS.md");
} catch (error) {
  stopped(error);
} finally {
  await cleanUp();
}
