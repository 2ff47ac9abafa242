// Markdown for posts and comments: stored raw, rendered here to sanitised HTML. Raw HTML in the
// source is dropped (never parsed), the sanitiser allows only GitHub-style elements and safe URL
// protocols, and images may come only from the web or from our own uploads.
import type { Element, Root as HastRoot, RootContent as HastContent } from "hast";
import type { Root as MdastRoot, RootContent as MdastContent } from "mdast";
import rehypeSanitize, { defaultSchema, type Options as SanitizeSchema } from "rehype-sanitize";
import rehypeStringify from "rehype-stringify";
import remarkGfm from "remark-gfm";
import remarkParse from "remark-parse";
import remarkRehype from "remark-rehype";
import { unified } from "unified";
import { UPLOAD_URL_PREFIX } from "../domain/uploads/images";

const sanitizeSchema: SanitizeSchema = {
  ...defaultSchema,
  protocols: {
    ...defaultSchema.protocols,
    href: ["http", "https", "mailto"],
    cite: ["http", "https"],
    src: ["http", "https"],
    longDesc: ["http", "https"],
  },
};

function walk(node: HastRoot | HastContent, visit: (el: Element) => void) {
  if (node.type === "element") visit(node);
  if ("children" in node) for (const child of node.children) walk(child, visit);
}

// The sanitiser lets any relative URL through; an image may be relative only when it is one of
// our uploads (no `..`, no backslashes, no protocol-relative `//host`).
const allowedImageSrc = (src: string) =>
  /^https?:\/\//i.test(src) || (src.startsWith(UPLOAD_URL_PREFIX) && !/\.\.|\\|%2e|%5c/i.test(src));

function rehypeSafeMedia() {
  return (tree: HastRoot) => {
    walk(tree, (el) => {
      if (el.tagName === "img") {
        const src = el.properties.src;
        if (typeof src !== "string" || !allowedImageSrc(src)) delete el.properties.src;
      }
      if (el.tagName === "a" && typeof el.properties.href === "string" && !el.properties.href.startsWith("#")) {
        el.properties.rel = ["nofollow", "ugc", "noopener"];
        el.properties.target = "_blank";
      }
    });
  };
}

const renderer = unified()
  .use(remarkParse)
  .use(remarkGfm)
  .use(remarkRehype, { allowDangerousHtml: false })
  .use(rehypeSanitize, sanitizeSchema)
  .use(rehypeSafeMedia)
  .use(rehypeStringify);

export function renderMarkdown(markdown: string): string {
  return String(renderer.processSync(markdown));
}

const parser = unified().use(remarkParse).use(remarkGfm);

// An excerpt needs only the start: parsing at most this much keeps long posts cheap in lists.
const EXCERPT_SOURCE_CHARS = 2_000;

function collectText(node: MdastRoot | MdastContent, out: string[]) {
  // raw HTML is never shown, not even as text; code and images contribute their words
  if (node.type === "html") return;
  if (node.type === "text" || node.type === "inlineCode" || node.type === "code") out.push(node.value);
  else if (node.type === "image" && node.alt) out.push(node.alt);
  if ("children" in node) {
    for (const child of node.children) collectText(child, out);
    if (node.type === "paragraph" || node.type === "heading" || node.type === "listItem" || node.type === "tableCell") out.push(" ");
  }
  if (node.type === "break") out.push(" ");
}

/** Plain text of the Markdown, whitespace collapsed, at most `max` characters (… when cut). */
export function excerpt(markdown: string, max = 200): string {
  const out: string[] = [];
  collectText(parser.parse(markdown.slice(0, EXCERPT_SOURCE_CHARS)), out);
  const text = out.join("").replace(/\s+/g, " ").trim();
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join("").trimEnd()}…`;
}
