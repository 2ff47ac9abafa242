// Rebuild the local search index (D1 binding SEARCH) from the main database (DB), through
// `wrangler d1 execute --local`: read posts and comments a page at a time, write SQL files of
// search_docs rows, load them, and let FTS5 rebuild its trigram index from them in one step. The
// CJK grams (ADR 016) go through a staging table of the same shape of files, then into
// search_grams in one INSERT … SELECT (a contentless table has no 'rebuild').
//
//   npm run search:reindex [-- --persist-to <dir>] [-- --community <id>]
//
// Same rules as workers/domain/search/rebuild.ts (which does this inside a Worker): posts and
// comments that are not deleted or hidden, in spaces that are not archived. The text goes through
// the Worker's own cleanText(), plainText(), cjkGrams() and gramsScope(), imported from their
// TypeScript source (Node 22 strips the types).
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { localD1, quote, root } from "./lib/local-d1.mjs";

const { plainText } = await import(join(root, "workers/domain/search/plain-text.ts"));
const { cleanText } = await import(join(root, "workers/lib/text.ts"));
const { tokenIds, withMentionNames } = await import(join(root, "workers/lib/mention-tokens.ts"));
const { DELETED_MEMBER_NAME } = await import(join(root, "workers/lib/vocabulary.ts"));
const { cjkGrams, gramsScope } = await import(join(root, "workers/domain/search/plan.ts"));

const { values: args } = parseArgs({
  options: { "persist-to": { type: "string" }, community: { type: "string" }, config: { type: "string", default: "wrangler.toml" } },
});
const PAGE = 5000;
const ROWS_PER_FILE = 20000;

const wrangler = (database, what) => localD1(database, what, { config: args.config, persistTo: args["persist-to"] });
const query = (sql) => wrangler("DB", ["--command", sql])[0].results;
if (args.community && !/^[A-Za-z0-9_-]+$/.test(args.community)) throw new Error("--community takes a community id");
const inCommunity = (alias) => (args.community ? `AND ${alias}.community_id = '${args.community}'` : "");

const visiblePosts = (after) => `
  SELECT p.seq, p.id, p.community_id, p.space_id, p.created_at, p.title, p.body
  FROM posts p JOIN spaces s ON s.id = p.space_id
  WHERE p.seq > ${after} AND p.deleted_at IS NULL AND p.hidden_at IS NULL AND s.archived_at IS NULL ${inCommunity("p")}
  ORDER BY p.seq LIMIT ${PAGE}`;
const visibleComments = (after) => `
  SELECT c.seq, c.id, c.community_id, p.space_id, c.post_id, c.created_at, c.body
  FROM comments c JOIN posts p ON p.id = c.post_id JOIN spaces s ON s.id = p.space_id
  WHERE c.seq > ${after} AND c.deleted_at IS NULL AND c.hidden_at IS NULL
    AND p.deleted_at IS NULL AND p.hidden_at IS NULL AND s.archived_at IS NULL ${inCommunity("c")}
  ORDER BY c.seq LIMIT ${PAGE}`;

const work = mkdtempSync(join(tmpdir(), "enclave-reindex-"));
const files = [];
let rows = [];
let grams = [];
let total = 0;
// D1 refuses statements over 100 KB: rows go into INSERTs of at most ~80 KB, and a body too
// long for one statement is appended in pieces
const STATEMENT_BYTES = 80_000;
const PIECE_CHARS = 10_000;
const bytes = (text) => Buffer.byteLength(text);
/** Where rows go: the INSERT's head and the position of the column that may need appending in pieces. */
const docsTable = {
  head: "INSERT INTO search_docs (doc_id, kind, community_id, space_id, post_id, created_at, title, body) VALUES\n",
  table: "search_docs",
  long: ["body", 7],
};
const gramsTable = {
  head: "INSERT INTO search_grams_staging (doc_id, title_grams, body_grams, scope) VALUES\n",
  table: "search_grams_staging",
  long: ["body_grams", 2],
};

function statementsFor(batch, { head: insertHead, table, long: [column, at] }) {
  const out = [];
  let values = [];
  let size = 0;
  const emit = () => {
    if (values.length) out.push(`${insertHead}${values.join(",\n")};`);
    values = [];
    size = 0;
  };
  for (const row of batch) {
    const literal = `(${row.map(quote).join(", ")})`;
    if (bytes(literal) > STATEMENT_BYTES / 2) {
      const text = row[at];
      out.push(`${insertHead}(${row.map((value, i) => quote(i === at ? "" : value)).join(", ")});`);
      for (let i = 0; i < text.length; i += PIECE_CHARS) {
        out.push(`UPDATE ${table} SET ${column} = ${column} || ${quote(text.slice(i, i + PIECE_CHARS))} WHERE doc_id = ${quote(row[0])};`);
      }
      continue;
    }
    if (size + bytes(literal) > STATEMENT_BYTES) emit();
    values.push(literal);
    size += bytes(literal);
  }
  emit();
  return out;
}

function flush() {
  if (rows.length === 0) return;
  const file = join(work, `docs-${files.length}.sql`);
  writeFileSync(file, [...statementsFor(rows, docsTable), ...statementsFor(grams, gramsTable)].join("\n"));
  files.push(file);
  rows = [];
  grams = [];
}
/** A search_docs row; with CJK letters in its title or body, a staged search_grams row too. */
function add(row) {
  rows.push(row);
  const [titleGrams, bodyGrams] = [cjkGrams(row[6]), cjkGrams(row[7])];
  if (titleGrams || bodyGrams) grams.push([row[0], titleGrams, bodyGrams, gramsScope(row[2], row[3])]);
  total++;
  if (rows.length >= ROWS_PER_FILE) flush();
}

/**
 * A page's mention names, as the Worker's mentionNamesOf gives them: members of the text's
 * community by id (an erased one as DELETED_MEMBER_NAME); a token of anyone else stays unnamed.
 */
function mentionNames(page) {
  const ids = [...new Set(page.flatMap((row) => (row.body.includes("<@") ? tokenIds(row.body) : [])))];
  const byCommunity = new Map();
  const erased = new Set();
  for (let i = 0; i < ids.length; i += 500) {
    const list = ids.slice(i, i + 500).map(quote).join(", ");
    // an erased member's memberships are gone: they are "Deleted member" in every community
    for (const r of query(`SELECT u.id FROM users u WHERE u.id IN (${list}) AND u.deleted_at IS NOT NULL`)) erased.add(r.id);
    for (const r of query(`SELECT m.community_id, u.id, u.name FROM memberships m JOIN users u ON u.id = m.user_id WHERE u.id IN (${list}) AND u.deleted_at IS NULL`)) {
      if (!byCommunity.has(r.community_id)) byCommunity.set(r.community_id, new Map());
      byCommunity.get(r.community_id).set(r.id, r.name);
    }
  }
  return (row) => {
    const names = new Map(byCommunity.get(row.community_id) ?? []);
    for (const id of erased) names.set(id, DELETED_MEMBER_NAME);
    return plainText(withMentionNames(cleanText(row.body), names));
  };
}

try {
  for (let after = 0; ; ) {
    const page = query(visiblePosts(after));
    const text = mentionNames(page);
    for (const p of page) add([p.id, "post", p.community_id, p.space_id, p.id, p.created_at, cleanText(p.title), text(p)]);
    if (page.length < PAGE) break;
    after = page[page.length - 1].seq;
  }
  for (let after = 0; ; ) {
    const page = query(visibleComments(after));
    const text = mentionNames(page);
    for (const c of page) add([c.id, "comment", c.community_id, c.space_id, c.post_id, c.created_at, "", text(c)]);
    if (page.length < PAGE) break;
    after = page[page.length - 1].seq;
  }
  flush();

  // one statement per wrangler call: the grams index forgets the documents before they go
  // chat messages stay: they live in the channels' Durable Objects, which this script cannot read,
  // and the spine keeps their documents current (ADR 025)
  const scope = args.community ? `community_id = '${args.community}' AND kind != 'message'` : "kind != 'message'";
  const clear = [`DELETE FROM search_grams WHERE rowid IN (SELECT rowid FROM search_docs WHERE ${scope});`, `DELETE FROM search_docs WHERE ${scope};`];
  for (const statement of [
    ...clear,
    "DROP TABLE IF EXISTS search_grams_staging;",
    "CREATE TABLE search_grams_staging (doc_id text PRIMARY KEY, title_grams text NOT NULL, body_grams text NOT NULL, scope text NOT NULL);",
  ]) {
    wrangler("SEARCH", ["--command", statement]);
  }
  for (const file of files) wrangler("SEARCH", ["--file", file]);
  // the FTS5 index is derived from search_docs in one pass
  wrangler("SEARCH", ["--command", "INSERT INTO search_fts(search_fts) VALUES ('rebuild');"]);
  // the grams index from the staged grams, by the rowids the documents were given
  wrangler("SEARCH", [
    "--command",
    `INSERT INTO search_grams(rowid, title_grams, body_grams, scope)
       SELECT d.rowid, s.title_grams, s.body_grams, s.scope FROM search_grams_staging s JOIN search_docs d ON d.doc_id = s.doc_id;`,
  ]);
  wrangler("SEARCH", ["--command", "DROP TABLE search_grams_staging;"]);
  // every document is in the grams index now: searches may use it (workers/domain/search/grams-backfill.ts)
  if (!args.community) {
    wrangler("SEARCH", ["--command", `UPDATE search_backfills SET done_at = ${Date.now()} WHERE name = 'cjk_grams' AND done_at IS NULL;`]);
  }
  console.log(`search index rebuilt: ${total} documents${args.community ? ` in community ${args.community}` : ""}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
