// The bounds on the work one Markdown text may cause (ADR 012), and the measure of its nesting.
// Parsers and tree walks recurse (or allocate) once per nesting level, and a page renders many
// texts, so every text a member writes is held to these, and the renderer (markdown.ts) shows a
// stored text past them as plain text instead of failing.
import type { Token } from "markdown-it";

/** Deepest nesting of Markdown constructs a text may have: block quotes, lists, emphasis/strong/strikethrough, links and images, footnote definitions, tables. */
export const MAX_MARKDOWN_DEPTH = 32;
/** A post body's limit in characters (Unicode code points); beyond it a write answers 413 too_large. */
export const MAX_POST_BODY_CHARS = 40_000;
/** A comment body's limit in characters (Unicode code points); beyond it a write answers 413 too_large. */
export const MAX_COMMENT_BODY_CHARS = 10_000;
/**
 * Longest text the renderer parses at all, in UTF-16 units: the largest body a write accepts
 * (40,000 code points of up to two units each). A longer stored text is shown as plain text.
 */
export const MAX_RENDER_UNITS = 2 * MAX_POST_BODY_CHARS;
/**
 * markdown-it's `maxNesting`: where the parser stops descending. A list level is two parser
 * levels (list, item) plus one for its paragraph, so this lies past MAX_MARKDOWN_DEPTH for every
 * construct, and anything the parser cut short measures deeper than the bound.
 */
export const PARSER_MAX_NESTING = 3 * MAX_MARKDOWN_DEPTH + 4;

// token types that open (+1) or close (-1) a construct that counts as a level
const OPENS = new Set(["blockquote_open", "bullet_list_open", "ordered_list_open", "table_open", "footnote_reference_open", "footnote_open", "em_open", "strong_open", "s_open", "link_open"]);
const CLOSES = new Set(["blockquote_close", "bullet_list_close", "ordered_list_close", "table_close", "footnote_reference_close", "footnote_close", "em_close", "strong_close", "s_close", "link_close"]);

/**
 * The deepest nesting of counted constructs in a markdown-it token list. Block tokens are flat
 * and carry their structure as open/close pairs; inline tokens hang one level down (`children`),
 * an image's alt text one more. Walked with a counter and an explicit stack, never recursion.
 */
export function tokenDepth(tokens: Token[]): number {
  let max = 0;
  const stack: Array<{ list: Token[]; at: number; depth: number }> = [{ list: tokens, at: 0, depth: 0 }];
  while (stack.length) {
    const frame = stack[stack.length - 1];
    if (frame.at >= frame.list.length) {
      stack.pop();
      continue;
    }
    const t = frame.list[frame.at++];
    if (OPENS.has(t.type)) frame.depth++;
    else if (CLOSES.has(t.type)) frame.depth--;
    if (frame.depth > max) max = frame.depth;
    if (t.children?.length) stack.push({ list: t.children, at: 0, depth: frame.depth + (t.type === "image" ? 1 : 0) });
  }
  return max;
}
