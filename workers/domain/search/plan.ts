// The SQL of a community search, built from the user's text (ADR 007, ADR 016), and the CJK grams
// documents are indexed by (what a query looks up and what is written must agree, so both live
// here). No imports: the Worker (query.ts, index.ts), the benchmark's minimal Worker, its raw-SQLite
// timings and scripts/reindex.mjs run exactly this code. User text reaches SQL only as bound values
// and FTS5 only as quoted strings.

export const MAX_TERMS = 8;
const TITLE_WEIGHT = 10;
const BODY_WEIGHT = 1;

/**
 * Words, or "quoted phrases"; double quotes are never part of a term. NFC, as the index is
 * (the API boundary already normalised `q`; this keeps every other caller, and the LIKE path for
 * 1–2 character terms, on the same form).
 */
export function searchTerms(q: string): string[] {
  const terms: string[] = [];
  for (const match of q.normalize("NFC").matchAll(/"([^"]*)"|([^\s"]+)/g)) {
    const term = (match[1] ?? match[2] ?? "").trim().replace(/\s+/g, " ");
    if (term && !terms.some((t) => t.toLowerCase() === term.toLowerCase())) terms.push(term);
  }
  return terms.slice(0, MAX_TERMS);
}

export const charLength = (s: string) => [...s].length;

/**
 * A letter or digit of a CJK script — Han, kana, Hangul, Bopomofo, by Script_Extensions, so "ー"
 * and "々" count — but no punctuation or space of those scripts ("。", "、", "　"). SQLite's unicode61
 * tokenizer keeps every such character inside a token (letters, digits), so a gram made of them is
 * one token, itself (tests/api/search-cjk.test.ts checks kana, Hangul, extension-B Han).
 */
const CJK_LETTER = String.raw`(?:(?=[\p{L}\p{N}])[\p{scx=Han}\p{scx=Hiragana}\p{scx=Katakana}\p{scx=Hangul}\p{scx=Bopomofo}])`;
const CJK_RUN = new RegExp(`${CJK_LETTER}+`, "gu");
const SHORT_CJK = new RegExp(`^${CJK_LETTER}{1,2}$`, "u");

/**
 * The unigrams and bigrams of every run of CJK letters in `text`, space-separated ("付費模式。貓" →
 * "付 付費 費 費模 模 模式 式 貓"): what search_grams indexes (ADR 016). A bigram never spans
 * anything that is not a CJK letter — punctuation, a space, a line break, a Latin letter — so it
 * is present exactly when the two characters stand side by side, as LIKE '%付費%' would find them.
 * Nothing is folded: 費 and 费 are different grams. NFC text in, as everything indexed is.
 */
export function cjkGrams(text: string): string {
  const grams: string[] = [];
  for (const [run] of text.matchAll(CJK_RUN)) {
    const chars = [...run];
    chars.forEach((ch, i) => grams.push(i + 1 < chars.length ? `${ch} ${ch}${chars[i + 1]}` : ch));
  }
  return grams.join(" ");
}

/** A term of one or two CJK letters: looked up in search_grams rather than scanned with LIKE. */
export const isShortCjk = (term: string) => SHORT_CJK.test(term);

/**
 * A document's scope column in search_grams: its community and space ids, one token each (the
 * table's tokenizer keeps "_" inside tokens), so a grams query is narrowed to a community or to
 * readable spaces inside the index (ids are lower-case base32 with a prefix: workers/lib/ids.ts).
 */
export const gramsScope = (communityId: string, spaceId: string) => `${communityId} ${spaceId}`;
/** FTS5 string literal: inside double quotes every character is text, `""` is a quote. */
const ftsString = (term: string) => `"${term.replace(/"/g, '""')}"`;
const likePattern = (term: string) => `%${term.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`;

/** A row of the planned query: the candidate, its score and its text (for the snippet). */
export type CandidateRow = {
  rowid: number;
  doc_id: string;
  kind: string;
  space_id: string;
  post_id: string;
  created_at: number;
  score: number;
  title: string;
  body: string;
};

export type Plan = { sql: string; params: (string | number)[] };

const LIKE = (column: string) => `${column} LIKE ? ESCAPE '\\'`;

/** At most this many spellings of one short term; past it only the term as typed is matched. */
const MAX_CASE_VARIANTS = 4;
/**
 * At most this many extra spellings over all short terms of a query: each costs two bound values
 * (title, body) twice (filter and score), and D1 binds at most 100 per statement.
 */
const MAX_EXTRA_VARIANTS = 8;

/**
 * The spellings of a 1–2 character term that differ only in case ("é" → ["é", "É"], "ÉA" →
 * ["ÉA", "éA"]), for the LIKE path: SQLite's LIKE folds ASCII letters only (no ICU in D1), so
 * the other letters' cases are enumerated here, in JavaScript. A character whose other case has
 * another length (ß ↔ SS) keeps its own spelling only; more than MAX_CASE_VARIANTS spellings
 * (never for two characters with one non-ASCII case pair each) keeps the term as typed.
 */
export function caseVariants(term: string): string[] {
  let variants = [""];
  for (const ch of term) {
    const forms = /[\u0000-\u007f]/.test(ch)
      ? [ch] // LIKE folds ASCII itself
      : [...new Set([ch, ch.toLowerCase(), ch.toUpperCase()])].filter((form) => [...form].length === 1);
    variants = variants.flatMap((head) => forms.map((form) => head + form));
    if (variants.length > MAX_CASE_VARIANTS) return [term];
  }
  return variants.map((v) => v.normalize("NFC"));
}

/** `column` contains one of `patterns` (LIKE): "(col LIKE ? ESCAPE '\\' OR …)". */
const likeAny = (column: string, patterns: string[]) => `(${patterns.map(() => LIKE(column)).join(" OR ")})`;

/**
 * The ranked candidates for `terms` in one community (optionally only in `spaceIds`), with their
 * text; the caller binds `params`, then LIMIT and OFFSET. `grams`: search_grams is filled (ADR 016;
 * grams-backfill.ts gramsReady) — 1–2 letter CJK terms are looked up there; false, they are scanned
 * with LIKE as before the index existed, with the same hits.
 */
export function plan(communityId: string, terms: string[], spaceIds: string[] | null, grams = true): Plan {
  const long = terms.filter((t) => charLength(t) >= 3);
  const cjk = grams ? terms.filter((t) => charLength(t) < 3 && isShortCjk(t)) : [];
  const short = terms.filter((t) => charLength(t) < 3 && !cjk.includes(t));
  if (long.length === 0 && cjk.length > 0) {
    // the grams index ranks rowids alone; the page's rows and text are read for the page only
    const ranked = gramsPlan(communityId, cjk, short, spaceIds);
    return {
      sql: `SELECT c.rowid, txt.doc_id, txt.kind, txt.space_id, txt.post_id, txt.created_at, c.score, txt.title, txt.body
            FROM (${ranked.sql}) AS c JOIN search_docs txt ON txt.rowid = c.rowid
            ORDER BY c.score DESC, c.rowid DESC`,
      params: ranked.params,
    };
  }
  const ranked = rankedPlan(communityId, long, cjk, short, spaceIds);
  // the text is joined to the page of candidates only, not carried through the ranking sort
  return {
    sql: `SELECT c.*, txt.title, txt.body FROM (${ranked.sql}) AS c JOIN search_docs txt ON txt.rowid = c.rowid
          ORDER BY c.score DESC, c.created_at DESC, c.rowid DESC`,
    params: ranked.params,
  };
}

/** LIKE patterns for the short terms that are not looked up in an index, case spellings included. */
function likePatterns(short: string[]): string[][] {
  let extra = 0;
  return short.map((term) => {
    const variants = caseVariants(term);
    if (extra + variants.length - 1 > MAX_EXTRA_VARIANTS) return [likePattern(term)];
    extra += variants.length - 1;
    return variants.map(likePattern);
  });
}

/** `column`s of table `t` hold one of each pattern list: the filters, and their params in order. */
function likeFilters(t: string, patternLists: string[][]): { filters: string[]; params: string[] } {
  return {
    filters: patternLists.map((patterns) => `(${likeAny(`${t}.title`, patterns)} OR ${likeAny(`${t}.body`, patterns)})`),
    params: patternLists.flatMap((patterns) => [...patterns, ...patterns]),
  };
}

/**
 * 1–2 letter CJK terms without a long term: one FTS5 query on search_grams, every condition in the
 * index — the scope (the readable spaces, else the community) and each term — so no document row
 * is read per match, only per page; ranked by bm25 (title ten times body, scope not counted), ties
 * newest-indexed first. Other short terms ("付費 ok") filter the matches' text with LIKE.
 */
function gramsPlan(communityId: string, cjk: string[], short: string[], spaceIds: string[] | null): Plan {
  const scope = spaceIds ? `scope : (${spaceIds.map(ftsString).join(" OR ")})` : `scope : ${ftsString(communityId)}`;
  const like = likeFilters("d", likePatterns(short));
  const join = like.filters.length > 0 ? "CROSS JOIN search_docs d ON d.rowid = search_grams.rowid" : "";
  return {
    sql: `SELECT search_grams.rowid AS rowid, -bm25(search_grams, ${TITLE_WEIGHT}.0, ${BODY_WEIGHT}.0, 0.0) AS score
          FROM search_grams ${join}
          WHERE ${["search_grams MATCH ?", ...like.filters].join(" AND ")}
          ORDER BY score DESC, search_grams.rowid DESC LIMIT ? OFFSET ?`,
    params: [`${scope} AND ${cjk.map(ftsString).join(" AND ")}`, ...like.params],
  };
}

function rankedPlan(communityId: string, long: string[], cjk: string[], short: string[], spaceIds: string[] | null): Plan {
  // With long terms the query reads the FTS table alone (its UNINDEXED columns come from
  // search_docs by rowid): no join the planner could turn into "scan the community's documents,
  // then probe the index once per document". Short terms alone scan search_docs.
  const t = long.length > 0 ? "search_fts" : "d";
  // conditions after the community: readable spaces, CJK terms in the grams index, then every
  // other short term in title or body
  const filters: string[] = [];
  const filterParams: string[] = [];
  if (spaceIds) {
    filters.push(`${t}.space_id IN (${spaceIds.map(() => "?").join(", ")})`);
    filterParams.push(...spaceIds);
  }
  if (cjk.length > 0) {
    filters.push(`${t}.rowid IN (SELECT rowid FROM search_grams WHERE search_grams MATCH ?)`);
    filterParams.push(cjk.map(ftsString).join(" AND "));
  }
  const shortPatterns = likePatterns(short);
  const like = likeFilters(t, shortPatterns);
  filters.push(...like.filters);
  filterParams.push(...like.params);
  const columns = `${t}.rowid AS rowid, ${t}.doc_id, ${t}.kind, ${t}.space_id, ${t}.post_id, ${t}.created_at`;
  const order = `ORDER BY score DESC, ${t}.created_at DESC, ${t}.rowid DESC LIMIT ? OFFSET ?`;

  if (long.length > 0) {
    return {
      sql: `SELECT ${columns}, -bm25(search_fts, ${TITLE_WEIGHT}.0, ${BODY_WEIGHT}.0) AS score
            FROM search_fts
            WHERE ${["search_fts MATCH ?", "search_fts.community_id = ?", ...filters].join(" AND ")} ${order}`,
      params: [long.map(ftsString).join(" "), communityId, ...filterParams],
    };
  }
  // short terms only: a title hit counts double, as the weighting above does
  const score = shortPatterns.map(
    (patterns) => `(CASE WHEN ${likeAny("d.title", patterns)} THEN 2 ELSE 0 END + CASE WHEN ${likeAny("d.body", patterns)} THEN 1 ELSE 0 END)`,
  );
  return {
    sql: `SELECT ${columns}, (${score.join(" + ")}) AS score
          FROM search_docs d
          WHERE ${["d.community_id = ?", ...filters].join(" AND ")} ${order}`,
    params: [...shortPatterns.flatMap((patterns) => [...patterns, ...patterns]), communityId, ...filterParams],
  };
}
