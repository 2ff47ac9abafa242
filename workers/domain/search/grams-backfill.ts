// Documents indexed before migrations-search/0003 are not in search_grams (SQLite cannot compute
// grams: plan.ts cjkGrams is JavaScript). Until every one is, 1–2 letter CJK terms are scanned with
// LIKE, which finds the same documents (ADR 016). This adds them a bounded step per cron tick, in
// rowid order, from the text search_docs already holds (no read of the main database), and says
// when it is done; a full rebuild (rebuild.ts, scripts/reindex.mjs) finishes it too.
import { cjkGrams, gramsScope } from "./plan";

const NAME = "cjk_grams";
/** Documents read per chunk; a chunk's text is sent back as one bound JSON value, so it is also cut by size. */
const ROWS_PER_READ = 200;
/** Under D1's 2 MB for a bound value: the text read, sent back to check that it did not change meanwhile. */
const CHUNK_BYTES = 1_000_000;

/** A search_docs row as read: its text and scope. */
export type DocText = { rowid: number; title: string; body: string; community_id: string; space_id: string };
export type GramsStep = { rows: number; filled: number; done: boolean };

/** Once seen done in this isolate, it stays done: every write since the migration stores grams. */
let doneHere = false;
/** Seen not done yet in this isolate (a database indexed before the grams, still filling). */
let fillingHere = false;

/**
 * Whether search_grams holds every document's grams, so 1–2 letter CJK terms may be looked up
 * there. One SEARCH read per call until it answers true, none after (in this isolate).
 */
export async function gramsReady(env: Env): Promise<boolean> {
  if (doneHere) return true;
  const row = await env.SEARCH.prepare("SELECT done_at FROM search_backfills WHERE name = ?").bind(NAME).first<{ done_at: number | null }>();
  doneHere = row?.done_at != null;
  fillingHere = !doneHere;
  return doneHere;
}

/**
 * gramsReady's likely answer, without asking: for a plan guessed before the access check. Yes
 * unless this isolate saw the backfill unfinished — the usual state, and a wrong guess only
 * costs a cheap query on the unfilled index, which searchCommunity then discards.
 */
export const gramsLikelyReady = () => doneHere || !fillingHere;

/** The statement that records the backfill done (a full rebuild gave every document its grams). */
export const gramsDoneStatement = (search: D1Database) =>
  search.prepare("UPDATE search_backfills SET done_at = ? WHERE name = ? AND done_at IS NULL").bind(Date.now(), NAME);

/**
 * These documents into search_grams, in one batch, where search_docs still holds the text that
 * was read: a document re-indexed meanwhile (index.ts) already has its own grams, and a row
 * replaced at the same rowid must not get the old text's. Delete, then insert: a document the
 * spine indexed after the migration may be there already.
 */
export function fillStatements(search: D1Database, docs: DocText[]): D1PreparedStatement[] {
  const rows = JSON.stringify(
    docs.map((d) => ({ rowid: d.rowid, title: d.title, body: d.body, tg: cjkGrams(d.title), bg: cjkGrams(d.body), scope: gramsScope(d.community_id, d.space_id) })),
  );
  const unchanged = `json_each(?) AS j JOIN search_docs d
    ON d.rowid = j.value ->> '$.rowid' AND d.title = j.value ->> '$.title' AND d.body = j.value ->> '$.body'`;
  return [
    search.prepare(`DELETE FROM search_grams WHERE rowid IN (SELECT d.rowid FROM ${unchanged})`).bind(rows),
    search
      .prepare(
        `INSERT INTO search_grams(rowid, title_grams, body_grams, scope)
         SELECT d.rowid, j.value ->> '$.tg', j.value ->> '$.bg', j.value ->> '$.scope' FROM ${unchanged}`,
      )
      .bind(rows),
  ];
}

/**
 * One step: up to `maxRows` documents after the saved rowid get their grams, then the cursor (and,
 * at the end of the table, done_at) is saved. Documents without CJK letters cost no write. D1:
 * about 1 + 2 statements per ROWS_PER_READ documents read; once done, one read per call.
 */
export async function continueGramsBackfill(env: Env, maxRows = 2000): Promise<GramsStep> {
  const step: GramsStep = { rows: 0, filled: 0, done: false };
  const marker = await env.SEARCH.prepare("SELECT after_rowid, done_at FROM search_backfills WHERE name = ?")
    .bind(NAME)
    .first<{ after_rowid: number; done_at: number | null }>();
  if (!marker || marker.done_at != null) return { ...step, done: true };
  let after = marker.after_rowid;
  while (step.rows < maxRows && !step.done) {
    const limit = Math.min(ROWS_PER_READ, maxRows - step.rows);
    const { results } = await env.SEARCH.prepare("SELECT rowid, title, body, community_id, space_id FROM search_docs WHERE rowid > ? ORDER BY rowid LIMIT ?")
      .bind(after, limit)
      .all<DocText>();
    step.rows += results.length;
    step.done = results.length < limit;
    const writes: D1PreparedStatement[] = [];
    let chunk: DocText[] = [];
    let bytes = 0;
    for (const doc of results) {
      if (!cjkGrams(doc.title) && !cjkGrams(doc.body)) continue;
      // UTF-8 bytes, at most: the text (3 per UTF-16 unit) and its grams (about 5 units per letter)
      const size = (doc.title.length + doc.body.length) * 20 + 200;
      if (chunk.length > 0 && bytes + size > CHUNK_BYTES) {
        writes.push(...fillStatements(env.SEARCH, chunk));
        chunk = [];
        bytes = 0;
      }
      chunk.push(doc);
      bytes += size;
      step.filled++;
    }
    if (chunk.length > 0) writes.push(...fillStatements(env.SEARCH, chunk));
    if (results.length > 0) after = results[results.length - 1].rowid;
    writes.push(
      env.SEARCH.prepare("UPDATE search_backfills SET after_rowid = ?, done_at = ? WHERE name = ?").bind(after, step.done ? Date.now() : null, NAME),
    );
    await env.SEARCH.batch(writes);
  }
  if (step.done) doneHere = true;
  return step;
}
