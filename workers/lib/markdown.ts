// Markdown for posts and comments (and later chat): stored raw, rendered here to safe HTML.
// markdown-it (ADR 012) because its cost stays near-linear on adversarial input (the pathological
// cases of cmark's suite) and it nests with a stated limit (`maxNesting`) instead of recursing
// until the stack ends; its renderer walks a flat token list. Raw HTML in the source is shown as
// the text it is, never rendered; links may be http(s), mailto or relative; images only from our uploads (an
// outside image is a link to it).
//
// Every text is measured against markdown-bounds.ts: a write past the bounds is refused
// (assertMarkdownWithin), and a stored row past them — written before the bounds existed — is
// shown as escaped plain text. Nothing here throws on any input, so one row never fails a list,
// a thread or a page.
import MarkdownIt, { type RendererRule, type Token } from "markdown-it";
import footnote from "markdown-it-footnote";
import taskLists from "markdown-it-task-lists";
import { UPLOAD_URL_PREFIX } from "./vocabulary";
import { DomainError } from "./errors";
import { balanceBidi } from "./text";
import { MAX_MARKDOWN_DEPTH, MAX_RENDER_UNITS, PARSER_MAX_NESTING, tokenDepth } from "./markdown-bounds";
import { ID_PREFIX } from "./markdown-ids";
import { MENTION_ID, withMentionNames } from "./mention-tokens";

export { MAX_COMMENT_BODY_CHARS, MAX_MARKDOWN_DEPTH, MAX_POST_BODY_CHARS } from "./markdown-bounds";
export { ID_PREFIX, scopeFragmentIds } from "./markdown-ids";

// Browsers ignore tabs, newlines and controls inside a scheme ("java\tscript:"), so the scheme is
// read with them taken out; anything without a scheme is relative and stays on this site.
const SCHEME = /^([a-z][a-z0-9+.-]*):/i;
const ALLOWED_SCHEMES = new Set(["http", "https", "mailto"]);
const allowedHref = (url: string) => {
  const scheme = SCHEME.exec(url.replace(/[\u0000-\u0020\u007f]/g, ""));
  return !scheme || ALLOWED_SCHEMES.has(scheme[1].toLowerCase());
};

// An <img> may show only our own uploads (no `..`, no backslashes, no protocol-relative `//host`);
// any other image becomes a link to its address, or its alt text (outsideImageAsLink).
const allowedImageSrc = (src: string) => src.startsWith(UPLOAD_URL_PREFIX) && !/\.\.|\\|%2e|%5c/i.test(src);

// `html: false`: raw HTML in the source is not markup but the member's words, so markdown-it's
// own rule reads it as text and the renderer escapes it — `<div>x</div>` shows as typed, and no
// text around or inside it is lost (an HTML block would otherwise swallow the lines after it).
const md = new MarkdownIt({ html: false, linkify: true, typographer: false, maxNesting: PARSER_MAX_NESTING });
md.validateLink = allowedHref;
// bare www. addresses and e-mail addresses become links, as GitHub's autolink literals do
md.linkify.set({ fuzzyLink: true, fuzzyEmail: true });
md.use(footnote).use(taskLists);

// And the renderer writes no raw HTML whatever path a token took (a plugin's own sub-parse): any
// html token is shown as its escaped text, except the task-list plugin's checkbox, exactly as that
// writes it.
const TASK_CHECKBOX = /^<input class="task-list-item-checkbox"(?: checked="")? disabled="" type="checkbox">$/;
md.renderer.rules.html_block = (tokens, idx) => plainTextHtml(tokens[idx].content);
md.renderer.rules.html_inline = (tokens, idx) => (TASK_CHECKBOX.test(tokens[idx].content) ? tokens[idx].content : escapeHtml(tokens[idx].content));

// An image from outside this site becomes a link to it (ADR 012): the page's CSP (img-src 'self')
// would block it anyway, and in a private community loading it would tell a third party who read
// the post and when. Inside a link (a linked badge), or with no address, it is the text alone.
function outsideImageAsLink(image: Token, src: string, insideLink: boolean, TokenClass: typeof Token): Token[] {
  const text = new TokenClass("text", "", 0);
  text.content = md.renderer.renderInlineAsText(image.children ?? [], md.options, {}).trim() || src;
  if (insideLink) return [text];
  const open = new TokenClass("link_open", "a", 1);
  open.attrs = [
    ["href", src],
    ["rel", "nofollow ugc noopener"],
    ["target", "_blank"],
  ];
  return [open, text, new TokenClass("link_close", "a", -1)];
}

// Mention tokens (`<@usr_…>`, lib/mention-tokens.ts) become `mention` tokens, recognised before
// raw HTML so the sanitiser never sees them. Inside code they stay text (the code rules consume the
// span first); inside a link's text they are marked, and render as the name without the mention.
const MENTION_AT = new RegExp(`^<@(${MENTION_ID})>`);
md.inline.ruler.before("html_inline", "mention", (state, silent) => {
  if (state.src.charCodeAt(state.pos) !== 0x3c /* < */ || state.src.charCodeAt(state.pos + 1) !== 0x40 /* @ */) return false;
  const match = MENTION_AT.exec(state.src.slice(state.pos, state.pos + 80));
  if (!match) return false;
  if (!silent) {
    const token = state.push("mention", "", 0);
    token.meta = { userId: match[1], inLink: state.linkLevel > 0 };
    token.content = match[0];
  }
  state.pos += match[0].length;
  return true;
});

/** What the renderer shows for a mention: the member's current name, by user id. */
export type MentionNames = ReadonlyMap<string, string>;
type RenderEnv = { mentionNames?: MentionNames };

// A member of the community shows as "@Name" (an erased one as "@Deleted member"); an id that is
// not one of them shows as the literal token, so a hand-written token cannot reveal a name.
type MentionMeta = { userId: string; inLink: boolean };
const mentionMeta = (token: Token) => token.meta as MentionMeta;

md.renderer.rules.mention = (tokens, idx, _options, env) => {
  const { userId, inLink } = mentionMeta(tokens[idx]);
  const name = (env as RenderEnv | undefined)?.mentionNames?.get(userId);
  if (name === undefined) return escapeHtml(tokens[idx].content);
  if (inLink) return escapeHtml(`@${name}`);
  return `<span class="mention" data-user-id="${escapeHtml(userId)}">@${escapeHtml(name)}</span>`;
};

/**
 * Where `text` holds an address the renderer would make a link of (linkify: "youtube.com/@Mei",
 * "https://…", an e-mail address), as [start, end) offsets. A typed "@Name" inside one is part of
 * the address, not a mention (notifications/mentions.ts tokenizeMentions).
 */
export function linkRanges(text: string): Array<[number, number]> {
  return (md.linkify.match(text) ?? []).map((m) => [m.index, m.lastIndex]);
}

/**
 * The members the Markdown mentions, in order of first appearance: mention tokens in its text,
 * not in code (never parsed as tokens) and not in a link's text. A text past the bounds
 * mentions nobody (it is refused on write, and shown as plain text).
 */
export function mentionedIds(markdown: string): string[] {
  if (!markdown.includes("<@")) return [];
  const parsed = parseWithinBounds(markdown);
  if ("reason" in parsed) return [];
  const ids: string[] = [];
  const visit = (tokens: Token[]) => {
    for (const t of tokens) {
      const meta = t.type === "mention" ? mentionMeta(t) : null;
      if (meta && !meta.inLink && !ids.includes(meta.userId)) ids.push(meta.userId);
      if (t.children) visit(t.children);
    }
  };
  visit(parsed.tokens);
  return ids;
}

// Stored text has balanced bidi formatting (lib/text.ts cleanText), but an entity ("&#x202E;",
// "&#x2067;") decodes to a control here: each text token is balanced again (no override, no opener
// left open, no stray PDF/PDI), so "file&#x202E;gnp.exe" cannot read "fileexe.png" and an isolate
// opened by an entity cannot reach past its token. A pair split across tokens (around emphasis)
// goes too: it is formatting, never the words.
md.core.ruler.push("balance_bidi", (state) => {
  for (const block of state.tokens) {
    if (block.type === "fence" || block.type === "code_block") block.content = balanceBidi(block.content);
    for (const t of block.children ?? []) if (t.content) t.content = balanceBidi(t.content);
  }
});

md.core.ruler.push("safe_links_and_media", (state) => {
  for (const block of state.tokens) {
    if (!block.children) continue;
    const children: Token[] = [];
    let linkDepth = 0;
    for (const t of block.children) {
      if (t.type === "image") {
        const src = String(t.attrGet("src") ?? "").trim();
        // anything but our own upload never becomes an <img> (one without a src shows as broken):
        // an address is a link to it, and no address leaves the alt text
        if (!allowedImageSrc(src)) {
          children.push(...outsideImageAsLink(t, src, linkDepth > 0 || src === "", state.Token));
          continue;
        }
      } else if (t.type === "link_open") {
        linkDepth++;
        const href = String(t.attrGet("href") ?? "");
        if (!href.startsWith("#")) {
          t.attrSet("rel", "nofollow ugc noopener");
          t.attrSet("target", "_blank");
        } else if (href.length > 1 && !href.startsWith(`#${ID_PREFIX}`)) {
          t.attrSet("href", `#${ID_PREFIX}${href.slice(1)}`);
        }
      } else if (t.type === "link_close") {
        linkDepth--;
      }
      children.push(t);
    }
    block.children = children;
  }
});

// A task's checkbox is named by its text (axe `label`): the item's first line is wrapped in a
// <label> written as tokens, so the raw-HTML allowlist stays the checkbox alone.
md.core.ruler.push("task_labels", (state) => {
  for (const block of state.tokens) {
    const first = block.children?.[0];
    if (!first || first.type !== "html_inline" || !TASK_CHECKBOX.test(first.content)) continue;
    block.children = [new state.Token("task_label_open", "label", 1), ...(block.children ?? []), new state.Token("task_label_close", "label", -1)];
  }
});

// Code blocks and tables may be wider than a phone: each scrolls on its own, and takes focus so a
// keyboard can scroll it (axe `scrollable-region-focusable`). A table scrolls in a wrapper so it
// keeps its table semantics.
for (const rule of ["fence", "code_block"]) {
  const base = md.renderer.rules[rule] as RendererRule;
  md.renderer.rules[rule] = (tokens, idx, options, env, self) => base(tokens, idx, options, env, self).replace(/^<pre>/, '<pre tabindex="0">');
}
md.renderer.rules.table_open = (tokens, idx, options, _env, self) => `<div class="table-scroll" tabindex="0">\n${self.renderToken(tokens, idx, options)}`;
md.renderer.rules.table_close = (tokens, idx, options, _env, self) => `${self.renderToken(tokens, idx, options)}</div>\n`;

// strikethrough as GitHub writes it (markdown-it's default is <s>)
md.renderer.rules.s_open = () => "<del>";
md.renderer.rules.s_close = () => "</del>";

// footnote ids as GitHub writes them (fn-1, fnref-1), with the one prefix
md.renderer.rules.footnote_anchor_name = (tokens, idx) => `-${Number(tokens[idx].meta?.id) + 1}`;
for (const rule of ["footnote_ref", "footnote_open", "footnote_anchor"]) {
  const base = md.renderer.rules[rule] as RendererRule;
  md.renderer.rules[rule] = (tokens, idx, options, env, self) =>
    base(tokens, idx, options, env, self).replace(/(href="#|id=")(fn)/g, `$1${ID_PREFIX}$2`);
}

/** Why a text is past the bounds: too long to parse, or nested deeper than MAX_MARKDOWN_DEPTH. */
export type MarkdownRefusal = { reason: "too_long" } | { reason: "too_deep"; depth: number };

/**
 * The tokens of `markdown`, or why it may not be rendered. The parser stops descending at
 * PARSER_MAX_NESTING (well past MAX_MARKDOWN_DEPTH), so deeper input costs no more and is then
 * refused by the measured depth. Never throws: a parser failure on input nobody foresaw is
 * "too_deep" (the plain-text fallback).
 */
export function parseWithinBounds(markdown: string): { tokens: Token[] } | MarkdownRefusal {
  if (markdown.length > MAX_RENDER_UNITS) return { reason: "too_long" };
  try {
    const tokens = md.parse(markdown, {});
    const depth = tokenDepth(tokens);
    return depth > MAX_MARKDOWN_DEPTH ? { reason: "too_deep", depth } : { tokens };
  } catch (error) {
    console.error(JSON.stringify({ at: "parseWithinBounds", error: String(error), chars: markdown.length }));
    return { reason: "too_deep", depth: Number.POSITIVE_INFINITY };
  }
}

/**
 * The check every Markdown write runs (post create/edit, comment create/edit; chat reuses it).
 * `maxChars` counts Unicode code points; `path` names the field in `issues`. Throws DomainError
 * 413 `too_large` (with `maxChars`) past the size, and 400 `markdown_too_deep` (with
 * `issues: [{ path, code: "markdown_too_deep", maximum: MAX_MARKDOWN_DEPTH }]`) past the nesting bound.
 * Answers the tokens it parsed (markdown-it's), which a renderer of the same text may take once
 * instead of parsing again (renderChatMarkdown's `tokens`; rendering changes them).
 */
export function assertMarkdownWithin(markdown: string, opts: { path: string; maxChars: number; what: string }): Token[] {
  if ([...markdown].length > opts.maxChars) {
    throw new DomainError(413, "too_large", `${opts.what} can be at most ${opts.maxChars.toLocaleString("en")} characters.`, {
      maxChars: opts.maxChars,
    });
  }
  const parsed = parseWithinBounds(markdown);
  if ("reason" in parsed) {
    const message = `Markdown may nest at most ${MAX_MARKDOWN_DEPTH} levels (quotes, lists, emphasis, links, footnotes, tables).`;
    throw new DomainError(400, "markdown_too_deep", message, {
      issues: [{ path: opts.path, message, code: "markdown_too_deep", maximum: MAX_MARKDOWN_DEPTH }],
    });
  }
  return parsed.tokens;
}

const escapeHtml = (text: string) => md.utils.escapeHtml(text);

/** The fallback for a text past the bounds: escaped, one `<p>` per paragraph, line breaks kept. */
export function plainTextHtml(text: string): string {
  return text
    .replace(/\r\n?/g, "\n")
    .split(/\n[ \t]*\n+/)
    .filter((para) => para.trim() !== "")
    .map((para) => `<p>${escapeHtml(para).replace(/\n/g, "<br>\n")}</p>`)
    .join("\n");
}

/**
 * Safe HTML for `markdown`, its mentions shown with `mentionNames` (names of the community's
 * members by user id; mentionNamesOf in domain/notifications/mentions.ts). Never throws: a text
 * past the bounds (a row stored before them) or one the renderer fails on comes back as plainTextHtml.
 */
export function renderMarkdown(markdown: string, options: { mentionNames?: MentionNames } = {}): string {
  return renderWithin(markdown, options.mentionNames, "renderMarkdown", undefined, (tokens) => tokens);
}

// Chat shows the inline subset: a heading is a paragraph, a rule is nothing and a table is its
// rows as lines (a message is a line in a conversation, not a document); lists, quotes, code,
// links and emphasis stay, as Discord and Slack keep them.
const CHAT_BLOCK_AS_PARAGRAPH: Record<string, string> = { heading_open: "paragraph_open", heading_close: "paragraph_close" };

/**
 * Safe HTML for a chat message: renderMarkdown's parser, bounds and sanitising, with headings
 * shown as paragraphs and thematic breaks dropped. `tokens`: what assertMarkdownWithin parsed of
 * exactly this `markdown`, taken instead of parsing again (used up: rendering changes them).
 * Never throws (the plain-text fallback).
 */
export function renderChatMarkdown(markdown: string, options: { mentionNames?: MentionNames; tokens?: Token[] } = {}): string {
  const html = renderChatTokens(markdown, options);
  // Markdown that renders to nothing visible (a line of "*", "- - -", only a rule) shows as the
  // characters typed, never as a blank message
  if (markdown.trim() !== "" && !/[^\s]/.test(html.replace(/<(?!img\b)[^>]*>/gi, "").replace(/&nbsp;/g, " "))) {
    return plainTextHtml(withMentionNames(markdown, options.mentionNames ?? new Map()));
  }
  return html;
}

/**
 * Each table of `tokens` as one paragraph of lines, a row a line, its cells' inline content joined
 * by " | " (what was typed, less the delimiter row), so a chat message never draws a grid.
 */
function tablesAsRows(tokens: Token[]): Token[] {
  if (!tokens.some((t) => t.type === "table_open")) return tokens;
  const TokenClass = tokens[0].constructor as typeof Token;
  const token = (type: string, props: Partial<Token>) => Object.assign(new TokenClass(type, type === "text" || type === "hardbreak" ? "" : "p", 0), props);
  const out: Token[] = [];
  let table: { inline: Token | null; children: Token[]; level: number } | null = null;
  let cellsInRow = 0;
  for (const t of tokens) {
    if (t.type === "table_open") table = { inline: null, children: [], level: t.level };
    else if (!table) out.push(t);
    else if (t.type === "tr_open") {
      if (table.children.length > 0) table.children.push(token("hardbreak", {}));
      cellsInRow = 0;
    } else if (t.type === "inline") {
      if (cellsInRow++ > 0) table.children.push(token("text", { content: " | " }));
      table.children.push(...(t.children ?? []));
      table.inline ??= t;
    } else if (t.type === "table_close") {
      if (table.inline) {
        table.inline.children = table.children;
        out.push(token("paragraph_open", { nesting: 1, block: true, level: table.level }), table.inline, token("paragraph_close", { nesting: -1, block: true, level: table.level }));
      }
      table = null;
    }
  }
  return out;
}

function renderChatTokens(markdown: string, options: { mentionNames?: MentionNames; tokens?: Token[] }): string {
  return renderWithin(markdown, options.mentionNames, "renderChatMarkdown", options.tokens, (tokens) => {
    const kept = tablesAsRows(tokens.filter((t) => t.type !== "hr"));
    for (const t of kept) {
      const as = CHAT_BLOCK_AS_PARAGRAPH[t.type];
      if (as) {
        t.type = as;
        t.tag = "p";
      }
    }
    return kept;
  });
}

/** Parse within the bounds, `adjust` the tokens, render; the plain-text fallback past the bounds or on failure. */
function renderWithin(markdown: string, mentionNames: MentionNames | undefined, at: string, tokens: Token[] | undefined, adjust: (tokens: Token[]) => Token[]): string {
  const parsed = tokens ? { tokens } : parseWithinBounds(markdown);
  if ("reason" in parsed) return plainTextHtml(withMentionNames(markdown, mentionNames ?? new Map()));
  try {
    return md.renderer.render(adjust(parsed.tokens), md.options, { mentionNames } satisfies RenderEnv).trimEnd();
  } catch (error) {
    console.error(JSON.stringify({ at, error: String(error), chars: markdown.length }));
    return plainTextHtml(withMentionNames(markdown, mentionNames ?? new Map()));
  }
}

// An excerpt needs only the start: parsing at most this much keeps long posts cheap in lists.
const EXCERPT_SOURCE_CHARS = 2_000;
const BLOCK_ENDS = new Set(["paragraph_close", "heading_close", "list_item_close", "td_close", "th_close", "blockquote_close"]);
const INLINE_BREAKS = new Set(["softbreak", "hardbreak"]);

/** The words of a token list in reading order: text, code, image alt text (image children) and mentions by name. */
function collectText(tokens: Token[], names: MentionNames): string {
  const out: string[] = [];
  for (const t of tokens) {
    if (t.type === "code_block" || t.type === "fence") out.push(t.content, " ");
    else if (BLOCK_ENDS.has(t.type)) out.push(" ");
    for (const c of t.children ?? []) {
      if (c.type === "mention") {
        const name = names.get(mentionMeta(c).userId);
        out.push(name === undefined ? c.content : `@${name}`);
      } else if (c.type === "text" || c.type === "code_inline") out.push(c.content);
      else if (c.type === "image") out.push(c.content);
      else if (INLINE_BREAKS.has(c.type)) out.push(" ");
    }
  }
  return out.join("");
}

/**
 * Plain text of the Markdown, whitespace collapsed, at most `max` characters (… when cut), its
 * mentions as "@Name" from `names`. Never throws: a start past the bounds gives its source text.
 */
export function excerpt(markdown: string, names: MentionNames = new Map(), max = 200): string {
  const source = markdown.slice(0, EXCERPT_SOURCE_CHARS);
  const parsed = parseWithinBounds(source);
  const text = ("reason" in parsed ? withMentionNames(source, names) : collectText(parsed.tokens, names)).replace(/\s+/g, " ").trim();
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join("").trimEnd()}…`;
}
