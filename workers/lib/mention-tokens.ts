// Mention tokens: `<@usr_…>` names a member by id, as Discord's `<@id>` does, so a mention
// survives renames, two members with one display name, and erasure. The Markdown renderer
// recognises the token (lib/markdown.ts) and shows the member's current name; plain-text views
// (excerpts, the search index) put the name in its place. No imports: scripts/reindex.mjs loads
// this file straight from its TypeScript source under Node.

/** A user id as the token carries it (lib/ids.ts newId("usr") and test ids alike). */
export const MENTION_ID = "usr_[A-Za-z0-9_]{1,64}";
/** One token, anywhere in a text; group 1 is the user id. */
export const MENTION_TOKEN = new RegExp(`<@(${MENTION_ID})>`, "g");

/** The token for a member. */
export const mentionToken = (userId: string) => `<@${userId}>`;

/** The ids of every token in `text`, in order of first appearance (a prefilter: code spans count too). */
export function tokenIds(text: string): string[] {
  const ids: string[] = [];
  for (const match of text.matchAll(MENTION_TOKEN)) if (!ids.includes(match[1])) ids.push(match[1]);
  return ids;
}

/**
 * `text` with each token replaced by "@" and the member's current name. `names` maps an id to
 * the name to show; an id it lacks (not a member of the community, or no such user) stays as the
 * literal token, as an unknown mention is shown.
 */
export function withMentionNames(text: string, names: ReadonlyMap<string, string>): string {
  return text.replace(MENTION_TOKEN, (whole, id: string) => {
    const name = names.get(id);
    return name === undefined ? whole : `@${name}`;
  });
}
