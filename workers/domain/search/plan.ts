// The SQL of a community search, built from the user's text (ADR 007). No imports: the Worker
// (query.ts), the benchmark's minimal Worker and its raw-SQLite timings run exactly this SQL.
// User text reaches SQL only as bound values and FTS5 only as quoted strings.

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
 * text; the caller binds `params`, then LIMIT and OFFSET.
 */
export function plan(communityId: string, terms: string[], spaceIds: string[] | null): Plan {
  const ranked = rankedPlan(communityId, terms, spaceIds);
  // the text is joined to the page of candidates only, not carried through the ranking sort
  return {
    sql: `SELECT c.*, txt.title, txt.body FROM (${ranked.sql}) AS c JOIN search_docs txt ON txt.rowid = c.rowid
          ORDER BY c.score DESC, c.created_at DESC, c.rowid DESC`,
    params: ranked.params,
  };
}

function rankedPlan(communityId: string, terms: string[], spaceIds: string[] | null): Plan {
  const long = terms.filter((t) => charLength(t) >= 3);
  const short = terms.filter((t) => charLength(t) < 3);
  // With long terms the query reads the FTS table alone (its UNINDEXED columns come from
  // search_docs by rowid): no join the planner could turn into "scan the community's documents,
  // then probe the index once per document". Short terms alone scan search_docs.
  const t = long.length > 0 ? "search_fts" : "d";
  // conditions after the community: readable spaces, then every short term in title or body
  const filters: string[] = [];
  const filterParams: string[] = [];
  if (spaceIds) {
    filters.push(`${t}.space_id IN (${spaceIds.map(() => "?").join(", ")})`);
    filterParams.push(...spaceIds);
  }
  let extra = 0;
  const shortPatterns = short.map((term) => {
    const variants = caseVariants(term);
    if (extra + variants.length - 1 > MAX_EXTRA_VARIANTS) return [likePattern(term)];
    extra += variants.length - 1;
    return variants.map(likePattern);
  });
  for (const patterns of shortPatterns) {
    filters.push(`(${likeAny(`${t}.title`, patterns)} OR ${likeAny(`${t}.body`, patterns)})`);
    filterParams.push(...patterns, ...patterns);
  }
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
