// @mentions as identities (issue 9, ADR 017): a mention is the token `<@usr_…>` (lib/mention-tokens.ts),
// which the Markdown renderer shows with the member's current name. When a text is saved,
// tokenizeMentions turns a typed "@Name" into the token — the member the composer picked for it,
// or else the one member of the community with that name — in the text only, never in code or a
// link's text. Who a text mentions is read from its parsed Markdown (lib/markdown.ts mentionedIds).
import { and, eq, inArray, isNull, notInArray, or, sql } from "drizzle-orm";
import { getDb, schema } from "../../db/client";
import { newId } from "../../lib/ids";
import { linkRanges, mentionedIds, type MentionNames } from "../../lib/markdown";
import { MENTION_TOKEN, mentionToken, tokenIds } from "../../lib/mention-tokens";
import { foldCase } from "../../lib/text";
import { DELETED_MEMBER_NAME } from "../account/erase";
import { chunk, spaceReadersAmong } from "../readable";

/** More than this many people in one text is a broadcast, not a mention. */
export const MAX_MENTIONS = 50;

// letters and digits: "_" and "*" around a name are Markdown emphasis ("_@Hiro Tanaka_"), not a word
const WORD = /[\p{L}\p{N}]/u;
const CJK = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/u;

const isWordChar = (ch: string | undefined) => ch !== undefined && WORD.test(ch);
/** "@", or the full-width "＠" (U+FF20) a Chinese or Japanese keyboard types. */
const AT_SIGN = /[@\uFF20]/g;
const nextAt = (text: string, from: number) => {
  AT_SIGN.lastIndex = from;
  return AT_SIGN.exec(text)?.index ?? -1;
};
const isCjk = (ch: string | undefined) => ch !== undefined && CJK.test(ch);

export type MentionCandidate = { id: string; name: string };
/** A typed mention found in a text: `text.slice(start, end)` is "@Name". */
export type NamedMention = { start: number; end: number; id: string };

/**
 * Where `text` names one of `members` after an "@", in order. At each "@" the longest name that
 * follows wins ("@Mei Lin" is Mei Lin, not Mei); names compare caselessly in every script, each
 * against the same number of characters of the text (so "İzmir" before it, whose lower case is
 * longer, cannot shift the positions); a Latin name must end at a word boundary ("@Mei" is not in
 * "@Meiling"), a CJK one may run straight into more text ("@王小明你好"); an "@" inside a word
 * (an e-mail address) is no mention. The full-width "＠" a CJK keyboard types counts as "@".
 */
export function findNamedMentions(text: string, members: MentionCandidate[]): NamedMention[] {
  const byLength = members
    .filter((m) => m.name.length > 0)
    .map((m) => ({ ...m, folded: foldCase(m.name) }))
    .sort((a, b) => b.name.length - a.name.length);
  const found: NamedMention[] = [];
  let i = nextAt(text, 0);
  while (i !== -1) {
    let next = i + 1;
    const before = i > 0 ? text[i - 1] : undefined;
    if (!isWordChar(before) || isCjk(before)) {
      for (const member of byLength) {
        const end = i + 1 + member.name.length;
        if (foldCase(text.slice(i + 1, end)) !== member.folded) continue;
        const after = text[end];
        if (isWordChar(after) && !isCjk(after) && !isCjk(member.name[member.name.length - 1])) continue;
        found.push({ start: i, end, id: member.id });
        next = end;
        break;
      }
    }
    i = nextAt(text, next);
  }
  return found;
}

/** The ids `findNamedMentions` finds, each once, in order (for callers that need no positions). */
export const matchMentions = (text: string, members: MentionCandidate[]): string[] => [
  ...new Set(findNamedMentions(text, members).map((m) => m.id)),
];

const m = schema.memberships;
const u = schema.users;
const activeMember = (communityId: string) => and(eq(m.communityId, communityId), eq(m.status, "active"), isNull(u.deletedAt));

/** A placeholder id for the trial parse: the shape of a user id, never one. */
const trialId = (k: number) => `usr___trial${k}`;

/**
 * `markdown` with each typed "@Name" that names a member turned into that member's token. The
 * members `picks` names (the composer's choices) win for their names; any other name must belong
 * to exactly one active member, or it stays text (two members called "Daniel Chen" are told apart
 * only by a pick or a token). Names inside code and link text are left alone: each candidate is
 * tried in a parse of the text, and only those that come out as mentions are kept.
 * D1: one read, and none when the text has no "@".
 */
export async function tokenizeMentions(env: Env, communityId: string, markdown: string, picks: string[] = []): Promise<string> {
  // full-width "＠" counts as "@" (a CJK keyboard's)
  const withoutTokens = markdown.replace(MENTION_TOKEN, " ").replace(AT_SIGN, "@");
  if (!withoutTokens.includes("@")) return markdown;
  const picked = [...new Set(picks)].slice(0, MAX_MENTIONS);
  // the active members whose folded name follows an "@" somewhere (users.name_folded is folded in
  // JavaScript when written: SQLite's lower() folds ASCII only), and the picked ones — members past
  // or present: an edit keeps the mention of someone who has left (the composer sends back the
  // people the stored text named), though it notifies only active members (resolveMentions)
  const rows = await getDb(env)
    .select({ id: u.id, name: u.name, folded: u.nameFolded })
    .from(m)
    .innerJoin(u, eq(u.id, m.userId))
    .where(
      and(
        eq(m.communityId, communityId),
        isNull(u.deletedAt),
        or(
          and(eq(m.status, "active"), sql`instr(${foldCase(withoutTokens)}, '@' || ${u.nameFolded}) > 0`),
          picked.length ? inArray(u.id, picked) : undefined,
        ),
      ),
    );
  const byName = new Map<string, { picked: string[]; others: string[]; name: string }>();
  for (const row of rows) {
    const key = row.folded ?? foldCase(row.name);
    const entry = byName.get(key) ?? { picked: [], others: [], name: row.name };
    (picked.includes(row.id) ? entry.picked : entry.others).push(row.id);
    byName.set(key, entry);
  }
  const candidates: MentionCandidate[] = [];
  for (const entry of byName.values()) {
    const chosen = entry.picked.length > 0 ? entry.picked : entry.others;
    if (chosen.length === 1) candidates.push({ id: chosen[0], name: entry.name });
  }
  // never inside an address the renderer links ("youtube.com/@Mei/videos"): the name is the URL's
  const links = linkRanges(markdown);
  const inLink = (span: NamedMention) => links.some(([start, end]) => span.start < end && span.end > start);
  const spans = findNamedMentions(markdown, candidates).filter((span) => !insideToken(markdown, span.start) && !inLink(span));
  if (spans.length === 0) return markdown;
  const kept = new Set(mentionedIds(replaceSpans(markdown, spans, (_span, k) => mentionToken(trialId(k)))));
  return replaceSpans(markdown, spans, (span, k) => (kept.has(trialId(k)) ? mentionToken(span.id) : markdown.slice(span.start, span.end)));
}

/** Whether position `at` (an "@") is the "@" of a token already in the text. */
const insideToken = (text: string, at: number) => at > 0 && text[at - 1] === "<" && new RegExp(MENTION_TOKEN.source, "y").test(text.slice(at - 1));

function replaceSpans(text: string, spans: NamedMention[], by: (span: NamedMention, k: number) => string): string {
  let out = "";
  let from = 0;
  spans.forEach((span, k) => {
    out += text.slice(from, span.start) + by(span, k);
    from = span.end;
  });
  return out + text.slice(from);
}

/**
 * The active members of the community that `markdown` mentions (tokens in its text, not in code
 * or link text), in order, at most MAX_MENTIONS. D1: one read, none without a token.
 */
export async function resolveMentions(env: Env, communityId: string, markdown: string): Promise<string[]> {
  const ids = mentionedIds(markdown).slice(0, MAX_MENTIONS);
  if (ids.length === 0) return [];
  const rows = await getDb(env)
    .select({ id: u.id })
    .from(m)
    .innerJoin(u, eq(u.id, m.userId))
    .where(and(activeMember(communityId), inArray(m.userId, ids)));
  const active = new Set(rows.map((r) => r.id));
  return ids.filter((id) => active.has(id));
}

/**
 * The names to show for the tokens in `texts`: every member of the community, past or present, by
 * id, and anyone erased as DELETED_MEMBER_NAME (their membership rows are gone, their name with
 * them). Ids of anyone else are left out, so their tokens stay literal and a hand-written token
 * cannot reveal who is behind an id. D1: one read per 90 ids, none without a token.
 */
export async function mentionNamesOf(env: Env, communityId: string, texts: string[]): Promise<Map<string, string>> {
  const ids = [...new Set(texts.flatMap((text) => (text.includes("<@") ? tokenIds(text) : [])))];
  const names = new Map<string, string>();
  for (const part of chunk(ids)) {
    const rows = await getDb(env)
      .select({ id: u.id, name: u.name, deletedAt: u.deletedAt })
      .from(u)
      .leftJoin(m, and(eq(m.userId, u.id), eq(m.communityId, communityId)))
      .where(and(inArray(u.id, part), or(sql`${u.deletedAt} is not null`, sql`${m.userId} is not null`)));
    for (const row of rows) names.set(row.id, row.deletedAt ? DELETED_MEMBER_NAME : row.name);
  }
  return names;
}

/**
 * The members one text mentions, for a view: `[{ id, name }]` in order — its tokens in the text,
 * not in code or a link's text (mentionedIds), named as `names` has them (a stranger's id: left out).
 */
export function mentionList(markdown: string, names: MentionNames): Array<{ id: string; name: string }> {
  return mentionedIds(markdown).flatMap((id) => {
    const name = names.get(id);
    return name === undefined ? [] : [{ id, name }];
  });
}

export type MentionSource = {
  communityId: string;
  sourceType: "post" | "comment" | "message";
  sourceId: string;
  authorId: string;
};

/**
 * Make the stored mentions of a source equal to `userIds` (the author never mentions themself):
 * new ones are inserted (OR IGNORE: running twice is harmless), ones edited away are removed and
 * their unread "mentioned you" notifications withdrawn. Returns who is mentioned now.
 */
export async function storeMentions(env: Env, source: MentionSource, userIds: string[]): Promise<string[]> {
  const db = getDb(env);
  const mt = schema.mentions;
  const n = schema.notifications;
  const ids = userIds.filter((id) => id !== source.authorId);
  const ofSource = and(eq(mt.sourceType, source.sourceType), eq(mt.sourceId, source.sourceId));
  const gone = ids.length === 0 ? ofSource : and(ofSource, notInArray(mt.mentionedUserId, ids));
  await db.batch([
    db.delete(mt).where(gone),
    // an unread notice of a mention that is no longer there is taken back; a read one stays, as
    // Slack keeps what was seen
    db
      .delete(n)
      .where(
        and(
          eq(n.kind, "mention"),
          eq(n.subjectType, source.sourceType),
          eq(n.subjectId, source.sourceId),
          isNull(n.readAt),
          ids.length ? notInArray(n.userId, ids) : undefined,
        ),
      ),
    // six bound values per row
    ...chunk(ids, 15).map((part) =>
      db
        .insert(mt)
        .values(
          part.map((mentionedUserId) => ({
            id: newId("mtn"),
            communityId: source.communityId,
            sourceType: source.sourceType,
            sourceId: source.sourceId,
            mentionedUserId,
            authorId: source.authorId,
          })),
        )
        .onConflictDoNothing(),
    ),
  ]);
  return ids;
}

export type MentionRef = { id: string; name: string };
/** A body ready to store, with what its answer needs: names for its view and excerpt, and who cannot be told (user ids). */
export type PreparedBody = { body: string; names: Map<string, string>; unreachable: string[] };

/**
 * Before a post or comment is written: typed mentions turned into tokens (tokenizeMentions), the
 * names its view and excerpt show, and the mentioned members who cannot read the space (not
 * active, below its tier, not listed in a private one) — the answer's `unreachableMentions`, so
 * the composer can say they were not told. The author is never unreachable. D1: up to four reads,
 * none for a text without "@".
 */
export async function prepareMentions(
  env: Env,
  space: { id: string; communityId: string },
  authorId: string,
  body: string,
  picks: string[] = [],
): Promise<PreparedBody> {
  const tokenized = await tokenizeMentions(env, space.communityId, body, picks);
  const mentioned = mentionedIds(tokenized).filter((id) => id !== authorId);
  if (!tokenized.includes("<@")) return { body: tokenized, names: new Map(), unreachable: [] };
  const [names, readers] = await Promise.all([
    mentionNamesOf(env, space.communityId, [tokenized]),
    spaceReadersAmong(env, space.communityId, space.id, mentioned),
  ]);
  const unreachable = mentioned.filter((id) => names.has(id) && !readers.has(id));
  return { body: tokenized, names, unreachable };
}
