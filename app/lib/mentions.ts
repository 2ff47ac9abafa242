// Mentions as the composer handles them. The server stores a mention as Discord's token `<@usr_…>`
// (the member's user id) and answers each body with `mentions: [{ id, name }]`, the current names
// of the members its tokens name. The editor shows `@Name` instead and remembers whom each
// `@Name` means ("picks"); a write sends the picks' ids as `mentionIds`, and the server turns the
// picked members' `@Name` back into tokens, so two members called "Daniel Chen" stay apart.
// Imported by the browser bundle: nothing here may reach server code (mention-tokens.ts and
// vocabulary.ts import nothing).
import { MENTION_TOKEN } from "../../workers/lib/mention-tokens";
import { DELETED_MEMBER_NAME } from "../../workers/lib/vocabulary";

/** A member the writer chose (from the suggestion list, or kept from the stored body). */
export type MentionPick = { id: string; name: string };

/** A member a body mentions, as the API answers it (an erased account is named DELETED_MEMBER_NAME). */
export type MentionRef = { id: string; name: string | null };

/** The API's bound on `mentionIds` per write (issue 9: a broadcast is not a mention). */
export const MAX_PICKS = 50;

/** The form field that carries the picks, as JSON [{ id, name }]: ids for the API, names to restore a failed form. */
export const PICKS_FIELD = "mentionPicks";

/**
 * A stored body as the editor shows it: each `<@id>` token of a member in `mentions` becomes
 * `@Name`, and that member becomes a pick (once, in order of first appearance), so saving the
 * edit keeps the same people. The server tells picks apart by name only, so a token stays as
 * written (and saving keeps it unchanged) where "@Name" could not come back as the same person:
 * the member is erased (DELETED_MEMBER_NAME) or not in `mentions`, or another member the body
 * mentions has the same name, caselessly (ADR 018).
 * Example: ("hi <@usr_a>", [{ id: "usr_a", name: "Daniel Chen" }]) →
 * { text: "hi @Daniel Chen", picks: [{ id: "usr_a", name: "Daniel Chen" }] }.
 */
export function mentionsForEditing(body: string, mentions: readonly MentionRef[] | undefined): { text: string; picks: MentionPick[] } {
  const named = (mentions ?? []).filter((m): m is MentionPick => Boolean(m.name) && m.name !== DELETED_MEMBER_NAME);
  const key = (name: string) => name.normalize("NFC").toLowerCase();
  const idsByName = new Map<string, Set<string>>();
  for (const m of named) idsByName.set(key(m.name), (idsByName.get(key(m.name)) ?? new Set()).add(m.id));
  const names = new Map(named.filter((m) => idsByName.get(key(m.name))?.size === 1).map((m) => [m.id, m.name] as const));
  const picks: MentionPick[] = [];
  const text = body.replace(MENTION_TOKEN, (token, id: string) => {
    const name = names.get(id);
    if (!name) return token;
    if (!picks.some((p) => p.id === id)) picks.push({ id, name });
    return `@${name}`;
  });
  return { text, picks };
}

/** The picks whose `@Name` is still in `text` (a pick whose mention was deleted is dropped), at most MAX_PICKS. */
export function picksInText(text: string, picks: readonly MentionPick[]): MentionPick[] {
  return picks.filter((p) => text.includes(`@${p.name}`)).slice(0, MAX_PICKS);
}

/** The ids to send as a write's `mentionIds`: the picks whose `@Name` `body` still holds. */
export const mentionIdsFor = (body: string, picks: readonly MentionPick[]): string[] => picksInText(body, picks).map((p) => p.id);

/** Add `pick` unless that member is picked already. */
export const addPick = (picks: readonly MentionPick[], pick: MentionPick): MentionPick[] =>
  picks.some((p) => p.id === pick.id) ? [...picks] : [...picks, pick];

/**
 * The picks a form posted in PICKS_FIELD (JSON written by the editor), checked entry by entry:
 * anything that is not { id: string, name: string } is ignored, duplicates too; at most MAX_PICKS.
 */
export function readPicks(value: FormDataEntryValue | null | undefined): MentionPick[] {
  if (typeof value !== "string" || value === "") return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return [];
  }
  if (!Array.isArray(parsed)) return [];
  let picks: MentionPick[] = [];
  for (const entry of parsed) {
    if (entry && typeof entry === "object" && typeof entry.id === "string" && typeof entry.name === "string" && entry.id) {
      picks = addPick(picks, { id: entry.id, name: entry.name });
    }
  }
  return picks.slice(0, MAX_PICKS);
}

/** The query string that carries a write's unreachable members to the page it redirects to. */
export const UNREACHABLE_PARAM = "unreachable";

/** `unreachableMentions` of a write answer as a value of UNREACHABLE_PARAM (ids only: the page shows current names). */
const unreachableParam = (unreachable: readonly string[] | undefined): string | null =>
  unreachable && unreachable.length > 0 ? unreachable.join(",") : null;

/**
 * `path` (which may end in a #fragment) with the write answer's `unreachableMentions` in its
 * query, for the page to say who was not notified (unreachableNames).
 */
export function withUnreachable(path: string, answer: { unreachableMentions?: string[] }): string {
  const ids = unreachableParam(answer.unreachableMentions);
  if (!ids) return path;
  const [beforeHash, hash] = path.split("#", 2);
  const [pathname, query] = beforeHash.split("?", 2);
  const params = new URLSearchParams(query);
  params.set(UNREACHABLE_PARAM, ids);
  return `${pathname}?${params}${hash === undefined ? "" : `#${hash}`}`;
}

/**
 * The names of the members in UNREACHABLE_PARAM, looked up in the `mentions` of what the page
 * shows (the post, its comments): ids it does not find are left out, so the notice only ever
 * names people the content really mentions.
 */
export function unreachableNames(param: string | null, mentions: readonly MentionRef[]): string[] {
  if (!param) return [];
  const names = new Map(mentions.flatMap((m) => (m.name ? [[m.id, m.name] as const] : [])));
  const out: string[] = [];
  for (const id of new Set(param.split(","))) {
    const name = names.get(id);
    if (name) out.push(name);
  }
  return out;
}
