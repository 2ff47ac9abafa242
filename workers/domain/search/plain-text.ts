// Markdown to the plain words the search index holds. No imports: scripts/reindex.mjs loads this
// file straight from its TypeScript source under Node, next to lib/text.ts.

/**
 * Markdown reduced to its words: link targets, emphasis marks and block markers say nothing.
 * Give it cleanText()-ed text (lib/text.ts: NFC, as every query is), as postDoc does.
 */
export function plainText(markdown: string): string {
  return markdown
    .replace(/!\[([^\]]*)\]\([^)]*\)/g, "$1")
    .replace(/\[([^\]]*)\]\([^)]*\)/g, "$1")
    .replace(/<\/?[A-Za-z][^<>]{0,200}>/g, " ")
    // a mention token left (lib/mention-tokens.ts: not a member's, so no name to show) says nothing
    .replace(/<@usr_[A-Za-z0-9_]{1,64}>/g, " ")
    .replace(/<!--[\s\S]*?-->/g, "")
    // emphasis marks, single or run together ("這是*蝌*蚪" reads "這是蝌蚪", as the page shows it)
    .replace(/(\*+|__+|~~|`+)/g, "")
    .replace(/^\s{0,3}(#{1,6}|>|[-*+]|\d+\.)\s+/gm, "")
    .replace(/[ \t]+/g, " ")
    .trim();
}
