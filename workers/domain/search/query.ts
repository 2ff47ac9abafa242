// Search within one community (ADR 007). Terms of 3+ characters go to the trigram FTS5 index
// (ranked by bm25, title weighted above body; a trigram phrase matches inside words, so "commun"
// finds "community" and "付費模式" finds it inside a sentence). Terms of 1–2 characters ("貓",
// "付費") cannot be trigram-matched: alongside long terms they filter the FTS candidates with LIKE;
// alone they scan the community's documents with LIKE. User text only ever reaches SQL as bound
// values and reaches FTS5 as quoted strings, so no input is a syntax error.
import { plan, searchTerms, type CandidateRow, type Plan } from "./plan";
import { chunk, filterInScope, readableSpaceIds, type ReadableItem, type ReaderScope } from "./readable";

export type SearchHit = {
  type: "post" | "comment";
  id: string;
  postId: string;
  spaceId: string;
  title: string;
  snippet: string;
  score: number;
  createdAt: string;
  author: { id: string; name: string };
};

export type SearchPage = { items: SearchHit[]; nextOffset: number | null };

type Candidate = { rowid: number; docId: string; kind: "post" | "comment"; spaceId: string; postId: string; createdAt: number; score: number };
type CandidateRef = { postId: string; commentId: string | null; i: number };

/** Candidates read from the index per request at most; a page can come back short, with a cursor. */
const MAX_SCANNED = 1000;

async function candidates(env: Env, query: Plan, offset: number, size: number): Promise<Candidate[]> {
  const { results } = await env.SEARCH.prepare(query.sql)
    .bind(...query.params, size, offset)
    .all<CandidateRow>();
  return results.map((r) => ({
    rowid: r.rowid,
    docId: r.doc_id,
    kind: r.kind === "comment" ? "comment" : "post",
    spaceId: r.space_id,
    postId: r.post_id,
    createdAt: r.created_at,
    score: Number(r.score.toPrecision(6)),
  }));
}

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (ch) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[ch] ?? ch);
const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

const SNIPPET_CHARS = 160;

/** Move a cut back by one when it would split an emoji (a UTF-16 surrogate pair) in two. */
const notInsidePair = (text: string, at: number) => (/[\uDC00-\uDFFF]/.test(text[at] ?? "") ? at - 1 : at);

/** About SNIPPET_CHARS of `text` around the first hit, HTML-escaped, every hit in <mark>. */
export function snippet(text: string, terms: string[]): string {
  // longest first, so a hit of "付費模式" is not cut short by a shorter term "付費"
  const pattern = new RegExp([...terms].sort((a, b) => b.length - a.length).map(escapeRegExp).join("|"), "giu");
  const first = text.search(pattern);
  const start = first > 40 ? notInsidePair(text, first - 40) : 0;
  const end = notInsidePair(text, Math.min(text.length, start + SNIPPET_CHARS));
  const window = text.slice(start, end).replace(/\s+/g, " ");
  let out = start > 0 ? "…" : "";
  let at = 0;
  for (const hit of window.matchAll(pattern)) {
    out += `${escapeHtml(window.slice(at, hit.index))}<mark>${escapeHtml(hit[0])}</mark>`;
    at = hit.index + hit[0].length;
  }
  return out + escapeHtml(window.slice(at)) + (end < text.length ? "…" : "");
}

async function texts(env: Env, rowids: number[]): Promise<Map<number, { title: string; body: string }>> {
  const out = new Map<number, { title: string; body: string }>();
  for (const part of chunk(rowids)) {
    const { results } = await env.SEARCH.prepare(
      `SELECT rowid, title, body FROM search_docs WHERE rowid IN (${part.map(() => "?").join(", ")})`,
    )
      .bind(...part)
      .all<{ rowid: number; title: string; body: string }>();
    for (const r of results) out.set(r.rowid, { title: r.title, body: r.body });
  }
  return out;
}

/**
 * One page of what the scope's reader may read in its community that matches `q`, best first. Paging is by
 * position in the ranked candidate list (`offset`), which stays stable while the index is unchanged.
 */
export async function searchCommunity(
  env: Env,
  scope: ReaderScope,
  q: string,
  page: { limit: number; offset: number },
): Promise<SearchPage> {
  const terms = searchTerms(q);
  if (terms.length === 0) return { items: [], nextOffset: null };
  const { communityId } = scope;
  const spaces = readableSpaceIds(scope);
  if (spaces.length === 0) return { items: [], nextOffset: null };
  // the space filter moves most of the access check into the index query; posts hidden or deleted
  // since they were indexed are caught by filterInScope below
  const query = plan(communityId, terms, spaces.length <= 60 ? spaces : null);
  const size = Math.min(200, Math.max(30, page.limit * 3));

  type Found = { candidate: Candidate; position: number; read: ReadableItem<CandidateRef> };
  const found: Found[] = [];
  let offset = page.offset;
  let exhausted = false;
  const bodies = new Map<number, { title: string; body: string }>();
  while (found.length <= page.limit && !exhausted && offset - page.offset < MAX_SCANNED) {
    const batch = await candidates(env, query, offset, size);
    exhausted = batch.length < size;
    const refs = batch.map((c, i): CandidateRef => ({ postId: c.postId, commentId: c.kind === "comment" ? c.docId : null, i }));
    // the snippet text of the candidates that may make the page loads beside the access check
    const [readable, text] = await Promise.all([
      filterInScope(env, scope, refs),
      texts(
        env,
        batch.slice(0, page.limit + 1 - found.length).map((c) => c.rowid),
      ),
    ]);
    for (const [rowid, t] of text) bodies.set(rowid, t);
    for (const read of readable) found.push({ candidate: batch[read.ref.i], position: offset + read.ref.i, read });
    offset += batch.length;
  }

  const shown = found.slice(0, page.limit);
  // candidates that replaced unreadable ones still need their text
  const missing = await texts(
    env,
    shown.filter((f) => !bodies.has(f.candidate.rowid)).map((f) => f.candidate.rowid),
  );
  for (const [rowid, t] of missing) bodies.set(rowid, t);
  const items = shown.map(({ candidate, read }): SearchHit => {
    const text = bodies.get(candidate.rowid) ?? { title: "", body: "" };
    const author = read.comment ?? read.post;
    return {
      type: candidate.kind,
      id: candidate.docId,
      postId: read.post.id,
      spaceId: read.post.spaceId,
      title: read.post.title,
      snippet: snippet(text.body || text.title, terms),
      score: candidate.score,
      createdAt: new Date(candidate.createdAt).toISOString(),
      author: { id: author.authorId, name: author.authorName },
    };
  });
  let nextOffset: number | null = null;
  if (found.length > page.limit) nextOffset = found[page.limit - 1].position + 1;
  else if (!exhausted) nextOffset = offset;
  return { items, nextOffset };
}
