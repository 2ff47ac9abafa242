// Search within one community (ADR 007). Terms of 3+ characters go to the trigram FTS5 index
// (ranked by bm25, title weighted above body; a trigram phrase matches inside words, so "commun"
// finds "community" and "付費模式" finds it inside a sentence). Terms of 1–2 CJK letters ("貓",
// "付費") go to the unigram+bigram index (ADR 016): alone, ranked by its bm25; beside long terms, as
// a filter. Other terms of 1–2 characters ("é", "ok") filter the FTS candidates with LIKE, or alone
// scan the community's documents with LIKE. User text only ever reaches SQL as bound
// values and reaches FTS5 as quoted strings, so no input is a syntax error.
import { gramsLikelyReady, gramsReady } from "./grams-backfill";
import { plan, searchTerms, type CandidateRow, type Plan } from "./plan";
import { canReadSpace, filterInScope, readableSpaceIds, type Facts, type ReadableItem, type ReaderScope } from "../readable";
import { channelStub } from "../chat/channels";
import { isConversationId, parseMessageId } from "../../../durable-objects/protocol";
import { hiddenAuthorsOf } from "../chat/blocks";

export type SearchHit = {
  type: "post" | "comment" | "message";
  id: string;
  /** a chat message's is null: it belongs to no post */
  postId: string | null;
  spaceId: string;
  /** the post's title (a comment's post); for a chat message, its channel's name */
  title: string;
  /** a chat message's seq in its channel (the channel page opens there); null otherwise */
  seq: number | null;
  snippet: string;
  score: number;
  createdAt: string;
  author: { id: string; name: string };
};

export type SearchPage = { items: SearchHit[]; nextOffset: number | null };

type Candidate = {
  rowid: number;
  docId: string;
  kind: "post" | "comment" | "message";
  spaceId: string;
  postId: string;
  createdAt: number;
  score: number;
  title: string;
  body: string;
};
type CandidateRef = { postId: string; commentId: string | null; i: number };

/** Candidates read from the index per request at most; a page can come back short, with a cursor. */
const MAX_SCANNED = 1000;

function candidates(env: Env, query: Plan, offset: number, size: number): Promise<Candidate[]> {
  return env.SEARCH.prepare(query.sql)
    .bind(...query.params, size, offset)
    .all<CandidateRow>()
    .then(({ results }) => results.map(toCandidate));
}

const toCandidate = (r: CandidateRow): Candidate => ({
  rowid: r.rowid,
  docId: r.doc_id,
  kind: r.kind === "comment" || r.kind === "message" ? r.kind : "post",
  spaceId: r.space_id,
  postId: r.post_id,
  createdAt: r.created_at,
  score: Number(r.score.toPrecision(6)),
  title: r.title,
  body: r.body,
});

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

/**
 * The found candidates with each chat message's author, read from its channel's object (one call
 * per message on the page, in parallel; posts and comments carry theirs). A message deleted since
 * it was indexed, which the spine has not removed yet, is left out: the page comes back short.
 */
async function withMessageAuthors<T extends { candidate: Candidate }>(env: Env, found: T[]): Promise<Array<T & { author: { id: string; name: string } | null }>> {
  const read = await Promise.all(
    found.map(async (item) => {
      if (item.candidate.kind !== "message") return { ...item, author: null };
      const named = parseMessageId(item.candidate.docId);
      const message = named ? await channelStub(env, named.channelId).message(named.seq) : null;
      return message && !message.deleted ? { ...item, author: message.message.author } : null;
    }),
  );
  return read.flatMap((item) => item ?? []);
}

/**
 * A chat channel whose messages the scope's reader may read: a chat space by its rules (tier,
 * listing, archived), a DM conversation when they take part in it now (`conversations`).
 */
function readableChannel(scope: SearchScope, channelId: string): { channel: { id: string; name: string } } | undefined {
  if (isConversationId(channelId)) {
    const name = scope.conversations?.get(channelId);
    return name === undefined ? undefined : { channel: { id: channelId, name } };
  }
  const space = scope.spaces.get(channelId);
  return space && canReadSpace(scope.viewer, space, scope.communityPrivate) ? { channel: space } : undefined;
}

/** A reader's scope for search: with the DM conversations they take part in now (id → name, "" unnamed). */
export type SearchScope = ReaderScope & { conversations?: ReadonlyMap<string, string> };

/** Candidates per request round: enough to fill a page after unreadable ones drop out. */
const roundSize = (limit: number) => Math.min(200, Math.max(30, limit * 3));

/** Which community and spaces a plan searches: what a reader's plan is remembered by. */
export type PlanScope = { communityId: string; spaceIds: string[] | null };

/**
 * The plan for a scope: the candidates in the spaces its reader may read. When the reader may read
 * every live space (or too many to list) the space filter is left out: the index then holds
 * nothing else of the community's (archived spaces leave it; filterInScope catches stragglers).
 */
function planScope(scope: SearchScope): PlanScope | null {
  const spaces = readableSpaceIds(scope);
  const conversations = [...(scope.conversations?.keys() ?? [])];
  if (spaces.length === 0 && conversations.length === 0) return null;
  const live = [...scope.spaces.values()].filter((sp) => !sp.archivedAt).length;
  // every space (or too many to list): no filter, and others' DMs among the candidates drop out in readableChannel
  const all = spaces.length >= live || spaces.length + conversations.length > 60;
  return { communityId: scope.communityId, spaceIds: all ? null : [...spaces, ...conversations] };
}

/** A first round of candidates started before the scope was known, with the plan it ran. */
export type Speculation = {
  plan: Plan;
  offset: number;
  size: number;
  rows: Promise<Candidate[] | null>;
};

/** The posts and comments a round of candidates points at, for the readable check. */
export function candidateIds(rows: Candidate[]): { postIds: string[]; commentIds: string[] } {
  return {
    postIds: rows.flatMap((c) => (c.kind === "message" ? [] : [c.postId])),
    commentIds: rows.flatMap((c) => (c.kind === "comment" ? [c.docId] : [])),
  };
}

/**
 * Starts the first round of a plan guessed before the access check (`guessPlan`).
 * searchCommunity uses it only if the checked scope calls for exactly this plan; otherwise it is
 * dropped (the index was read, nothing of it is shown).
 */
export function speculate(env: Env, guess: PlanScope, q: string, page: { limit: number; offset: number }): Speculation | null {
  const terms = searchTerms(q);
  if (terms.length === 0) return null;
  const guessed = plan(guess.communityId, terms, guess.spaceIds, gramsLikelyReady());
  const size = roundSize(page.limit);
  return { plan: guessed, offset: page.offset, size, rows: candidates(env, guessed, page.offset, size).catch(() => null) };
}

/**
 * The plan scope each reader last searched a community with, in this isolate, by "who:slug" (who:
 * the hashed session token, or "anon"). A slug never changes once created and a reader's view
 * seldom does, so it is a good guess; only a guess: searchCommunity compares the guessed plan with
 * the one the checked scope calls for, and access is decided by filterInScope regardless.
 */
const lastPlans = new Map<string, PlanScope>();
const MAX_REMEMBERED = 1000;

export const guessPlan = (who: string, slug: string) => lastPlans.get(`${who}:${slug}`) ?? null;

function rememberPlan(key: string, planned: PlanScope) {
  lastPlans.delete(key); // re-inserted last: the oldest entry goes first when full
  if (lastPlans.size >= MAX_REMEMBERED) lastPlans.delete(lastPlans.keys().next().value as string);
  lastPlans.set(key, planned);
}

const samePlan = (a: Plan, b: Plan) => a.sql === b.sql && JSON.stringify(a.params) === JSON.stringify(b.params);

/**
 * One page of what the scope's reader may read in its community that matches `q`, best first. Paging is by
 * position in the ranked candidate list (`offset`), which stays stable while the index is unchanged.
 */
export async function searchCommunity(
  env: Env,
  scope: SearchScope,
  q: string,
  page: { limit: number; offset: number },
  /**
   * early: a first round read ahead, with the facts of its candidates' posts and comments;
   * remember: who searched which slug, so their next search can read ahead (guessPlan)
   */
  ahead: { early: Speculation | null; facts: Facts | null; remember: { who: string; slug: string } } | null = null,
): Promise<SearchPage> {
  const early = ahead?.early ?? null;
  const terms = searchTerms(q);
  if (terms.length === 0) return { items: [], nextOffset: null };
  // the space filter moves most of the access check into the index query; posts hidden or deleted
  // since they were indexed are caught by filterInScope below
  const planned = planScope(scope);
  if (!planned) return { items: [], nextOffset: null };
  if (ahead) rememberPlan(`${ahead.remember.who}:${ahead.remember.slug}`, planned);
  const query = plan(planned.communityId, terms, planned.spaceIds, await gramsReady(env));
  const size = roundSize(page.limit);
  const usable = early && early.offset === page.offset && early.size === size && samePlan(early.plan, query) ? early : null;

  // a chat message may be read where its channel may be (readableChannel)
  type Found = { candidate: Candidate; position: number; read: ReadableItem<CandidateRef> | { channel: { id: string; name: string } } };
  const found: Found[] = [];
  let offset = page.offset;
  let exhausted = false;
  while (found.length <= page.limit && !exhausted && offset - page.offset < MAX_SCANNED) {
    // the first round may have been read ahead; later rounds start further down the list
    const readAhead = usable && offset === page.offset ? await usable.rows : null;
    const batch = readAhead ?? (await candidates(env, query, offset, size));
    const known = readAhead ? (ahead?.facts ?? undefined) : undefined;
    exhausted = batch.length < size;
    const refs = batch.flatMap((c, i): CandidateRef[] => (c.kind === "message" ? [] : [{ postId: c.postId, commentId: c.kind === "comment" ? c.docId : null, i }]));
    const readable = new Map((await filterInScope(env, scope, refs, known)).map((read) => [read.ref.i, read]));
    batch.forEach((candidate, i) => {
      const read = candidate.kind === "message" ? readableChannel(scope, candidate.spaceId) : readable.get(i);
      if (read) found.push({ candidate, position: offset + i, read });
    });
    offset += batch.length;
  }

  const [shown, hiddenList] = await Promise.all([
    withMessageAuthors(env, found.slice(0, page.limit)),
    scope.viewer.userId ? hiddenAuthorsOf(env, planned.communityId, scope.viewer.userId) : Promise.resolve([]),
  ]);
  // a chat message by someone the reader blocked is not found for them (ADR 033); the page may come out short
  const hidden = new Set(hiddenList);
  const items = shown.map(({ candidate, read, author }): SearchHit => {
    const hit = { id: candidate.docId, snippet: snippet(candidate.body || candidate.title, terms), score: candidate.score, createdAt: new Date(candidate.createdAt).toISOString() };
    if (!("post" in read)) {
      return { ...hit, type: "message", postId: null, spaceId: read.channel.id, title: read.channel.name, seq: parseMessageId(candidate.docId)?.seq ?? null, author: author! };
    }
    const by = read.comment ?? read.post;
    return { ...hit, type: candidate.kind, postId: read.post.id, spaceId: read.post.spaceId, title: read.post.title, seq: null, author: { id: by.authorId, name: by.authorName } };
  }).filter((item) => item.type !== "message" || !hidden.has(item.author.id));
  let nextOffset: number | null = null;
  if (found.length > page.limit) nextOffset = found[page.limit - 1].position + 1;
  else if (!exhausted) nextOffset = offset;
  return { items, nextOffset };
}
