// @mentions: `@Name` resolved against the active members of the community by exact,
// case-insensitive name match, longest name first (names may hold spaces and CJK: "@Mei Lin",
// "@王小明"), and the explicit form `@[Name](user:usr_…)` that an editor's autocomplete writes.
import { and, eq, inArray, isNull, notInArray, sql } from "drizzle-orm";
import { getDb, schema } from "../../db/client";
import { newId } from "../../lib/ids";
import { foldCase } from "../../lib/text";
import { chunk } from "../search/readable";

/** More than this many people in one text is a broadcast, not a mention. */
export const MAX_MENTIONS = 50;

const EXPLICIT = /@\[([^\]\n]{1,80})\]\(user:([A-Za-z0-9_]{1,100})\)/g;
const WORD = /[\p{L}\p{N}_]/u;
const CJK = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/u;

const isWordChar = (ch: string | undefined) => ch !== undefined && WORD.test(ch);
const isCjk = (ch: string | undefined) => ch !== undefined && CJK.test(ch);

export type MentionCandidate = { id: string; name: string };

/**
 * The members named in `text`, in order of first appearance. At each `@` the longest member name
 * that follows wins ("@Mei Lin" is Mei Lin, not Mei), and a Latin name must end at a word boundary
 * ("@Mei" does not match inside "@Meiling"); CJK is written without spaces, so a CJK name may be
 * followed directly by more text ("@王小明你好"). An `@` inside a word (an email address) is no mention.
 */
export function matchMentions(text: string, members: MentionCandidate[]): string[] {
  const byLength = [...members].sort((a, b) => [...b.name].length - [...a.name].length);
  const found: string[] = [];
  const lower = text.toLowerCase();
  let i = text.indexOf("@");
  while (i !== -1) {
    let next = i + 1;
    const before = i > 0 ? text[i - 1] : undefined;
    if (!isWordChar(before) || isCjk(before)) {
      for (const member of byLength) {
        const name = member.name.toLowerCase();
        if (!name || lower.slice(i + 1, i + 1 + name.length) !== name) continue;
        const after = text[i + 1 + name.length];
        const last = name[name.length - 1];
        if (isWordChar(after) && !isCjk(after) && !isCjk(last)) continue;
        if (!found.includes(member.id)) found.push(member.id);
        next = i + 1 + name.length;
        break;
      }
    }
    i = text.indexOf("@", next);
  }
  return found;
}

/** User ids written in the explicit form, and the text with those spans taken out. */
export function explicitMentions(text: string): { ids: string[]; rest: string } {
  const ids: string[] = [];
  const rest = text.replace(EXPLICIT, (_whole, _name: string, id: string) => {
    if (!ids.includes(id)) ids.push(id);
    return " ";
  });
  return { ids, rest };
}

const activeMember = (communityId: string) =>
  and(
    eq(schema.memberships.communityId, communityId),
    eq(schema.memberships.status, "active"),
    isNull(schema.users.deletedAt),
  );

/** The ids of the active members of the community that `text` mentions (at most MAX_MENTIONS). */
export async function resolveMentions(env: Env, communityId: string, text: string): Promise<string[]> {
  if (!text.includes("@")) return [];
  const db = getDb(env);
  const { ids: explicitIds, rest } = explicitMentions(text);
  const m = schema.memberships;
  const u = schema.users;

  const explicit = explicitIds.length
    ? await db
        .select({ id: u.id })
        .from(m)
        .innerJoin(u, eq(u.id, m.userId))
        .where(and(activeMember(communityId), inArray(m.userId, explicitIds.slice(0, MAX_MENTIONS))))
    : [];
  const explicitSet = new Set(explicit.map((r) => r.id));

  let named: string[] = [];
  if (rest.includes("@")) {
    // One pass over the community's members narrows the names to those that occur after an "@",
    // caselessly in every script: the text is folded here and compared with users.name_folded,
    // folded in JavaScript when the name was written (SQLite's lower() folds ASCII only);
    // matchMentions then applies positions, boundaries and longest-first.
    const candidates = await db
      .select({ id: u.id, name: u.name })
      .from(m)
      .innerJoin(u, eq(u.id, m.userId))
      .where(and(activeMember(communityId), sql`instr(${foldCase(rest)}, '@' || ${u.nameFolded}) > 0`));
    named = matchMentions(rest, candidates);
  }
  const ordered = explicitIds.filter((id) => explicitSet.has(id));
  for (const id of named) if (!ordered.includes(id)) ordered.push(id);
  return ordered.slice(0, MAX_MENTIONS);
}

export type MentionSource = {
  communityId: string;
  sourceType: "post" | "comment";
  sourceId: string;
  authorId: string;
};

/**
 * Make the stored mentions of a source equal to `userIds` (the author never mentions themself):
 * new ones are inserted (OR IGNORE: publishing twice is harmless), ones edited away are removed.
 */
export async function storeMentions(env: Env, source: MentionSource, userIds: string[]): Promise<string[]> {
  const db = getDb(env);
  const mt = schema.mentions;
  const ids = userIds.filter((id) => id !== source.authorId);
  const ofSource = and(eq(mt.sourceType, source.sourceType), eq(mt.sourceId, source.sourceId));
  const statements = [
    ids.length === 0 ? db.delete(mt).where(ofSource) : db.delete(mt).where(and(ofSource, notInArray(mt.mentionedUserId, ids))),
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
  ];
  const [first, ...rest] = statements;
  await db.batch([first, ...rest]);
  return ids;
}
