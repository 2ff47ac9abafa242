// Server-rendered pages against the API reads they are made of (issue 11): the community home, a
// space feed and a post page, each timed in turn with every single API read it needs, over the
// same data; the page's p99 is judged against the slowest of those reads (target ≤ 1.5×). A
// benchmark reports; it never fails anything. Not part of `npm test`.
//
//   npm run bench:pages
//   BENCH_POSTS=20000 BENCH_REQUESTS=100 npm run bench:pages   (a quicker run; does not write RESULTS.md)
//   BENCH_DATA=/tmp/enclave-bench-xxxx npm run bench:pages     (reuse data a BENCH_KEEP run left)
//
// 1. seeds the feed benchmark's community (bench/harness.mjs: 100k posts in 20 spaces, a vip
//    reader with a session) and 20 comments on each of the posts the post page opens;
// 2. builds the app into bench/.build and serves it with wrangler dev --local;
// 3. for each page, requests the page (text/html, signed in) and each of its API reads in turn,
//    rotating who goes first, so load that comes and goes falls on all of them;
// 4. prints a table and writes its section of bench/RESULTS.md.
import { writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import {
  buildApp,
  COMMUNITY,
  log,
  now,
  persist,
  POSTS,
  q,
  REQUESTS,
  reuse,
  run,
  seedFiles,
  stopped,
  cleanUp,
  SLUG,
  SPACES,
  spaceId,
  startServer,
  stopServers,
  timeInTurn,
  token,
  WARMUP,
  writeResultsSection,
} from "./harness.mjs";

const PORT = 8793;
const COMMENTS = 20;
// the posts the post page opens: newest-ish, spread over the spaces
const OPENED = Array.from({ length: 50 }, (_, k) => POSTS - k * 7);
const postId = (i) => `pst_b${i}`;
const quick = Boolean(process.env.BENCH_POSTS || process.env.BENCH_REQUESTS);

function commentFile() {
  // one statement per post: D1 refuses a statement past its length limit (SQLITE_TOOBIG)
  const statements = OPENED.map((i) => {
    const rows = Array.from(
      { length: COMMENTS },
      (_, j) => `(${q(`cmt_b${i}_${j}`)}, ${q(COMMUNITY)}, ${q(postId(i))}, 'usr_author${(i + j) % 50}', ${q(`Comment ${j} on post ${i}: garden recipe **travel** budget.`)}, ${now - (COMMENTS - j) * 1000})`,
    );
    return `INSERT INTO comments (id, community_id, post_id, author_id, body, created_at) VALUES\n${rows.join(",\n")};`;
  });
  statements.push(`UPDATE posts SET comment_count = ${COMMENTS} WHERE id IN (${OPENED.map((i) => q(postId(i))).join(", ")});`);
  const file = join(persist, "seed", "comments.sql");
  writeFileSync(file, `${statements.join("\n")}\n`);
  return file;
}

const base = `http://127.0.0.1:${PORT}`;
const api = `${base}/api/v1`;
const community = `${api}/communities/${SLUG}`;
const opened = (i) => OPENED[i % OPENED.length];
const spaceOf = (i) => spaceId(i % SPACES);

/** Each page and the API reads it is made of (what its loaders call, as an outside client would). */
const pages = [
  {
    key: "community home",
    page: () => `${base}/c/${SLUG}`,
    reads: {
      "GET /communities/:slug": () => community,
      "GET /communities/:slug/spaces": () => `${community}/spaces`,
      "GET /communities/:slug/tiers": () => `${community}/tiers`,
      "GET /communities/:slug/members?limit=12": () => `${community}/members?limit=12`,
    },
  },
  {
    key: "space feed",
    page: (i) => `${base}/c/${SLUG}/s/${spaceOf(i)}`,
    reads: {
      "GET /communities/:slug": () => community,
      "GET /communities/:slug/spaces": () => `${community}/spaces`,
      "GET /spaces/:id/posts?limit=20": (i) => `${api}/spaces/${spaceOf(i)}/posts?limit=20`,
    },
  },
  {
    key: "post page",
    page: (i) => `${base}/c/${SLUG}/posts/${postId(opened(i))}`,
    reads: {
      "GET /communities/:slug": () => community,
      "GET /communities/:slug/spaces": () => `${community}/spaces`,
      "GET /posts/:id": (i) => `${api}/posts/${postId(opened(i))}`,
      "GET /posts/:id/comments?limit=100": (i) => `${api}/posts/${postId(opened(i))}/comments?limit=100`,
    },
  },
];

const ms = (v) => (v < 1 ? v.toFixed(2) : v.toFixed(1));

const loadAtStart = loadavg()[0];
try {
  log(`persist dir ${persist}; ${POSTS} posts in ${SPACES} spaces; ${REQUESTS} timed requests per series after ${WARMUP} warm-up`);
  if (!reuse) {
    run("npx", ["wrangler", "d1", "migrations", "apply", "DB", "--local", "-c", "wrangler.toml", "--persist-to", persist]);
    run("npx", ["wrangler", "d1", "migrations", "apply", "SEARCH", "--local", "-c", "wrangler.toml", "--persist-to", persist]);
    const t = performance.now();
    for (const file of [...seedFiles(), commentFile()]) {
      run("npx", ["wrangler", "d1", "execute", "DB", "--local", "-c", "wrangler.toml", "--persist-to", persist, "--file", file]);
    }
    log(`seeded in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    writeFileSync(join(persist, "reader-token"), token);
  }
  log("building the app into bench/.build…");
  const served = buildApp();
  await startServer([...served, "--var", `APP_ORIGIN:${base}`], PORT, "/api/v1/health");

  const apiHeaders = { Cookie: `enclave_session=${token}` };
  const pageHeaders = { ...apiHeaders, Accept: "text/html" };
  const rows = [];
  for (const p of pages) {
    const check = await fetch(p.page(0), { headers: pageHeaders });
    const html = await check.text();
    if (!check.ok || !html.includes("<html")) throw new Error(`${p.key} answered ${check.status}`);
    log(`  ${p.key}`);
    const names = Object.keys(p.reads);
    const [page, ...reads] = await timeInTurn([
      { url: p.page, headers: pageHeaders },
      ...names.map((name) => ({ url: p.reads[name], headers: apiHeaders })),
    ]);
    const slowest = names.map((name, k) => ({ name, ...reads[k] })).sort((a, b) => b.p99 - a.p99)[0];
    rows.push({ key: p.key, page, reads: names.map((name, k) => ({ name, ...reads[k] })), slowest });
  }
  await stopServers();

  const table = [
    "| page | page p50 / p99 (ms) | slowest API read it needs | that read p50 / p99 (ms) | page p99 ÷ read p99 (p50 ratio) |",
    "| --- | --- | --- | --- | --- |",
    ...rows.map((r) => {
      const ratio = r.page.p99 / r.slowest.p99;
      const verdict = ratio <= 1.5 ? "≤ 1.5× target met" : "over the 1.5× target";
      return `| ${r.key} | ${ms(r.page.p50)} / ${ms(r.page.p99)} | ${r.slowest.name} | ${ms(r.slowest.p50)} / ${ms(r.slowest.p99)} | **${ratio.toFixed(2)}×** ${verdict} (${(r.page.p50 / r.slowest.p50).toFixed(2)}×) |`;
    }),
  ].join("\n");
  const detail = rows
    .map((r) => `- ${r.key}: ${r.reads.map((x) => `${x.name} ${ms(x.p50)} / ${ms(x.p99)}`).join("; ")}`)
    .join("\n");
  const report = `# Page benchmark (bench/pages.mjs)

Measured ${new Date().toISOString().slice(0, 10)} on this machine (${process.platform}, Node ${process.version}), wrangler dev --local
(workerd + local D1), sequential requests on 127.0.0.1 (one at a time, keep-alive), ${WARMUP} warm-up and
${REQUESTS} timed requests per series; each page and its API reads were requested in turn (who goes first
rotates) over the same data: ${POSTS.toLocaleString("en")} posts in ${SPACES} spaces of one private community, ${COMMENTS} comments on each
opened post; the reader is a vip member with a session cookie, asking for text/html. A page is the whole
server render: the root loader (session, unread count), the route's loader and React's HTML.
Machine load average (1 min) ${loadAtStart.toFixed(2)} at the start and ${loadavg()[0].toFixed(2)} at the end; the machine's
2 CPUs were shared with other work, so p99 figures move between runs; the p50 ratio in brackets is the steadier figure.

${table}

Every read each page needs (p50 / p99 ms):

${detail}
`;
  if (!reuse && !quick) writeResultsSection(report);
  console.log(`\n${table}\n\n${detail}\n`);
  log(reuse || quick ? "a quick or reused run: bench/RESULTS.md left as it was" : "wrote the pages section of bench/RESULTS.md");
} catch (error) {
  stopped(error);
} finally {
  await cleanUp();
}
