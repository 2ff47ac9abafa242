// The ids rendered Markdown carries (footnotes, an author's own #links), and scoping them per
// item where several rendered items share one page. Kept free of the renderer's dependencies so
// the web app's components can import it without shipping markdown-it to the browser.

/**
 * Prefix of every id the renderer writes (footnotes), and of every in-page link, so that user
 * content can never name (clobber) an element of the page around it, and a footnote's
 * `href="#user-content-fn-1"` finds its `id="user-content-fn-1"`: one prefix, written once.
 */
export const ID_PREFIX = "user-content-";

const OWN_FRAGMENT_ATTRS = new RegExp(`( id="| href="#)${ID_PREFIX}`, "g");

/**
 * `html` (renderMarkdown's output for one item) with its ids and in-page links moved to
 * `user-content-<scope>-…`, so a post and its comments on one page — each numbering its
 * footnotes from 1 — link to their own notes (ADR 012). `scope` is the item's id (`cmt_…`);
 * characters outside `[A-Za-z0-9_-]` are dropped from it. Rewrites exactly the renderer's own
 * ` id="user-content-` and ` href="#user-content-` attributes: text is escaped by the renderer
 * (a `"` in text or in a URL is `&quot;`), so nothing the author typed can match. Pure, never throws.
 */
export function scopeFragmentIds(html: string, scope: string): string {
  const safe = scope.replace(/[^A-Za-z0-9_-]/g, "");
  if (!safe) return html;
  return html.replace(OWN_FRAGMENT_ATTRS, `$1${ID_PREFIX}${safe}-`);
}
