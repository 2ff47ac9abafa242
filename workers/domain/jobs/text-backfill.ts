// Rows written before the text rules (lib/text.ts, issue 7 §3) hold text that is not NFC, stray
// control characters, names that break the name rule, and no users.name_folded. D1's SQL cannot
// normalise Unicode, so this walks every table of db/stored-text.ts in JavaScript, a bounded step
// per cron tick (D1 allows 1,000 queries per invocation), and remembers where it stopped in the
// `backfills` table until it is done. Posts and comments whose text changed are indexed again.
// Locally, `npm run text:backfill` does the same through wrangler (scripts/text-backfill.mjs).
import { storedText, TEXT_BACKFILL } from "../../db/stored-text";
import { repairStoredRow, type StoredTextTable } from "../../lib/text";
import { STATEMENTS_PER_DOC } from "../search/index";
import { reindexDocuments } from "../search/rebuild";
import { readBackfill, saveBackfill } from "./backfill-marker";

type Cursor = { table: number; afterRowid: number };
export type BackfillStep = { rows: number; changed: number; queries: number; done: boolean };

const ROWS_PER_READ = 50;
/** Statements one step may spend, under D1's 1,000 per invocation with room for the rest of the tick. */
const QUERY_BUDGET = 800;
/** The most one chunk can cost: its read, one update per row, and the SEARCH statements per re-indexed row plus its read. */
const CHUNK_COST = 1 + ROWS_PER_READ + ROWS_PER_READ * STATEMENTS_PER_DOC + 1;

const quoteId = (name: string) => `"${name.replace(/"/g, '""')}"`;

function columnsRead(spec: StoredTextTable): string[] {
  const names = new Set<string>();
  for (const c of spec.columns) {
    names.add(c.column);
    if (c.fallback && "column" in c.fallback) names.add(c.fallback.column);
  }
  if (spec.folded) names.add(spec.folded.column);
  if (spec.search) names.add("id");
  return [...names];
}

/**
 * One step of the backfill: reads rows in rowid order from where the last step stopped, rewrites
 * those that break the rules (each UPDATE applies only if the row still holds the values read, so
 * an edit made meanwhile — already clean, it came through the API — is never overwritten), then
 * saves the cursor. Returns what it did; `done` once every table is through (later calls cost one
 * read). `budget`: D1 statements this step may spend (≤ 1,000; at least one chunk's worst case, CHUNK_COST + 2).
 */
export async function continueTextBackfill(env: Env, budget = QUERY_BUDGET): Promise<BackfillStep> {
  // a step must afford one chunk, or it would never move
  const limit = Math.max(budget, CHUNK_COST + 2);
  const step: BackfillStep = { rows: 0, changed: 0, queries: 0, done: false };
  const marker = await readBackfill<Cursor>(env, TEXT_BACKFILL);
  step.queries++;
  if (marker.done) return { ...step, done: true };
  let cursor = marker.cursor ?? { table: 0, afterRowid: 0 };

  while (cursor.table < storedText.length && step.queries + CHUNK_COST + 1 <= limit) {
    const spec = storedText[cursor.table];
    const columns = columnsRead(spec);
    const { results } = await env.DB.prepare(
      `SELECT rowid AS _rowid, ${columns.map(quoteId).join(", ")} FROM ${quoteId(spec.table)} WHERE rowid > ? ORDER BY rowid LIMIT ?`,
    )
      .bind(cursor.afterRowid, ROWS_PER_READ)
      .all<Record<string, unknown>>();
    step.queries++;
    step.rows += results.length;

    const updates: D1PreparedStatement[] = [];
    const reindex: string[] = [];
    for (const row of results) {
      const set = repairStoredRow(spec, row);
      const changedColumns = Object.keys(set);
      if (changedColumns.length === 0) continue;
      const unchanged = changedColumns.map((col) => (row[col] === null ? `${quoteId(col)} IS NULL` : `${quoteId(col)} = ?`));
      updates.push(
        env.DB.prepare(
          `UPDATE ${quoteId(spec.table)} SET ${changedColumns.map((col) => `${quoteId(col)} = ?`).join(", ")} WHERE rowid = ? AND ${unchanged.join(" AND ")}`,
        ).bind(...changedColumns.map((col) => set[col]), row._rowid, ...changedColumns.filter((col) => row[col] !== null).map((col) => row[col])),
      );
      if (spec.search && spec.columns.some((c) => c.column in set)) reindex.push(String(row.id));
    }
    if (updates.length > 0) {
      await env.DB.batch(updates);
      step.queries += updates.length;
      step.changed += updates.length;
    }
    if (spec.search && reindex.length > 0) {
      const indexed = await reindexDocuments(env, spec.search, reindex);
      step.queries += 1 + indexed * STATEMENTS_PER_DOC;
    }

    cursor =
      results.length < ROWS_PER_READ
        ? { table: cursor.table + 1, afterRowid: 0 }
        : { table: cursor.table, afterRowid: Number(results[results.length - 1]._rowid) };
  }

  step.done = cursor.table >= storedText.length;
  await saveBackfill(env, TEXT_BACKFILL, cursor, step.done);
  step.queries++;
  return step;
}
