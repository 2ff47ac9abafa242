// Bring the local database's stored text under the text rules (workers/lib/text.ts): NFC, no
// stray control characters, names that follow the name rule, users.name_folded filled; then
// rebuild the local search index. The deployed Worker does the same on its cron, in bounded
// steps (workers/domain/jobs/text-backfill.ts); this is that job for `wrangler dev` data.
//
//   npm run text:backfill [-- --persist-to <dir>]
//
// Same tables and rules as the Worker: both read workers/db/stored-text.ts and call
// repairStoredRow() from lib/text.ts, imported from their TypeScript source (Node 22 strips types).
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { localD1, quote, root } from "./lib/local-d1.mjs";

const { repairStoredRow } = await import(join(root, "workers/lib/text.ts"));
const { storedText, TEXT_BACKFILL } = await import(join(root, "workers/db/stored-text.ts"));

const { values: args } = parseArgs({
  options: { "persist-to": { type: "string" }, config: { type: "string", default: "wrangler.toml" } },
});
const d1 = (what) => localD1("DB", what, { config: args.config, persistTo: args["persist-to"] });
const PAGE = 2000;
/** D1 refuses statements over 100 KB: a long value is written in pieces appended to each other. */
const PIECE_CHARS = 10_000;
const quoteId = (name) => `"${name.replace(/"/g, '""')}"`;

function columnsRead(spec) {
  const names = new Set(spec.columns.map((c) => c.column));
  for (const c of spec.columns) if (c.fallback?.column) names.add(c.fallback.column);
  if (spec.folded) names.add(spec.folded.column);
  return [...names];
}

function updates(table, rowid, set) {
  const out = [];
  const short = Object.entries(set).filter(([, value]) => value.length <= PIECE_CHARS);
  if (short.length) {
    out.push(`UPDATE ${quoteId(table)} SET ${short.map(([col, v]) => `${quoteId(col)} = ${quote(v)}`).join(", ")} WHERE rowid = ${rowid};`);
  }
  for (const [col, value] of Object.entries(set).filter(([, v]) => v.length > PIECE_CHARS)) {
    out.push(`UPDATE ${quoteId(table)} SET ${quoteId(col)} = ${quote(value.slice(0, PIECE_CHARS))} WHERE rowid = ${rowid};`);
    for (let i = PIECE_CHARS; i < value.length; i += PIECE_CHARS) {
      out.push(`UPDATE ${quoteId(table)} SET ${quoteId(col)} = ${quoteId(col)} || ${quote(value.slice(i, i + PIECE_CHARS))} WHERE rowid = ${rowid};`);
    }
  }
  return out;
}

const work = mkdtempSync(join(tmpdir(), "enclave-text-backfill-"));
try {
  let changed = 0;
  for (const spec of storedText) {
    const columns = columnsRead(spec);
    for (let after = 0; ; ) {
      const rows = d1([
        "--command",
        `SELECT rowid AS _rowid, ${columns.map(quoteId).join(", ")} FROM ${quoteId(spec.table)} WHERE rowid > ${after} ORDER BY rowid LIMIT ${PAGE}`,
      ])[0].results;
      const repairs = rows.map((row) => ({ row, set: repairStoredRow(spec, row) })).filter(({ set }) => Object.keys(set).length);
      if (repairs.length) {
        const file = join(work, `${spec.table}-${after}.sql`);
        writeFileSync(file, repairs.flatMap(({ row, set }) => updates(spec.table, row._rowid, set)).join("\n"));
        d1(["--file", file]);
        changed += repairs.length;
      }
      if (rows.length < PAGE) break;
      after = rows[rows.length - 1]._rowid;
    }
  }
  const now = Date.now();
  d1([
    "--command",
    `INSERT INTO backfills (name, cursor, done_at, updated_at) VALUES (${quote(TEXT_BACKFILL)}, NULL, ${now}, ${now})
     ON CONFLICT(name) DO UPDATE SET done_at = excluded.done_at, updated_at = excluded.updated_at;`,
  ]);
  console.log(`text backfill: ${changed} rows rewritten`);
  // the index is derived from the text: rebuild it from the rewritten rows
  const reindex = ["run", "search:reindex", "--", "--config", args.config, ...(args["persist-to"] ? ["--persist-to", args["persist-to"]] : [])];
  const res = spawnSync("npm", reindex, { cwd: root, stdio: "inherit" });
  if (res.status !== 0) process.exit(res.status ?? 1);
} finally {
  rmSync(work, { recursive: true, force: true });
}
