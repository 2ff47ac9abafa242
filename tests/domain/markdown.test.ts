import { describe, expect, it } from "vitest";
import { excerpt, renderMarkdown } from "../../workers/lib/markdown";

// Every payload must come out inert: no script element, no event-handler attribute, and no
// javascript:/data:/vbscript: URL in any href or src.
const payloads: Array<[string, string]> = [
  ["script tag", "<script>alert(1)</script>"],
  ["script tag in a paragraph", "hello <script src=//evil.example/x.js></script> world"],
  ["img onerror", '<img src=x onerror="alert(1)">'],
  ["svg onload", "<svg onload=alert(1)>"],
  ["body onload", "<body onload=alert(1)>"],
  ["iframe", '<iframe src="https://evil.example"></iframe>'],
  ["iframe srcdoc", "<iframe srcdoc=\"<script>alert(1)</script>\"></iframe>"],
  ["style tag", "<style>body{background:url(javascript:alert(1))}</style>"],
  ["style attribute", '<p style="background:url(javascript:alert(1))">x</p>'],
  ["markdown link javascript:", "[click](javascript:alert(1))"],
  ["markdown link mixed case", "[click](JaVaScRiPt:alert(1))"],
  ["markdown link entity-encoded colon", "[click](javascript&#58;alert(1))"],
  ["markdown link entity-encoded letters", "[click](&#106;avascript:alert(1))"],
  ["markdown link with tab inside", "[click](java\tscript:alert(1))"],
  ["markdown link data:", "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)"],
  ["markdown link vbscript:", "[click](vbscript:msgbox(1))"],
  ["markdown image javascript:", "![x](javascript:alert(1))"],
  ["markdown image data:", "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)"],
  ["reference link javascript:", "[click][r]\n\n[r]: javascript:alert(1)"],
  ["autolink javascript:", "<javascript:alert(1)>"],
  ["autolink data:", "<data:text/html,<script>alert(1)</script>>"],
  ["raw anchor javascript:", '<a href="javascript:alert(1)">x</a>'],
  ["svg with script", "<svg><script>alert(1)</script></svg>"],
  ["math tricks", '<math><mtext><table><mglyph><style><img src=x onerror=alert(1)></style></mglyph></table></mtext></math>'],
  ["object/embed", '<object data="javascript:alert(1)"></object><embed src="javascript:alert(1)">'],
  ["form action", '<form action="javascript:alert(1)"><button>go</button></form>'],
  ["meta refresh", '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">'],
  ["link title breaking out", '[x](https://ok.example "a\\" onmouseover=\\"alert(1)")'],
  ["html comment hiding script", "<!-- --><script>alert(1)</script><!-- -->"],
  ["details ontoggle", "<details open ontoggle=alert(1)>"],
  ["img in markdown with onerror in alt", '![" onerror="alert(1)](https://ok.example/a.png)'],
];

// Attribute values are always double-quoted by the serialiser; blanking them leaves the tags'
// own attribute names, so text such as alt="… onerror=…" (inert) is not mistaken for a handler.
const tagsWithoutValues = (html: string) => [...html.matchAll(/<[a-z][^>]*>/gi)].map((m) => m[0].replace(/"[^"]*"/g, '""'));
const urlAttributes = (html: string) => [...html.matchAll(/\s(?:href|src|action|data|formaction|cite|srcset)="([^"]*)"/gi)].map((m) => m[1]);

function expectInert(html: string) {
  expect(html).not.toMatch(/<script/i);
  expect(html).not.toMatch(/<(iframe|style|object|embed|form|meta|svg|math|body)\b/i);
  for (const tag of tagsWithoutValues(html)) expect(tag).not.toMatch(/\son\w+=/i);
  for (const url of urlAttributes(html)) expect(url).not.toMatch(/^\s*(javascript|data|vbscript)\s*:/i);
  expect(html).not.toMatch(/(href|src)="[^"]*(javascript|vbscript):/i);
}

describe("renderMarkdown", () => {
  it.each(payloads)("renders %s inert", (_name, payload) => {
    expectInert(renderMarkdown(payload));
  });

  it("covers at least 20 payloads", () => {
    expect(payloads.length).toBeGreaterThanOrEqual(20);
  });

  it("keeps ordinary Markdown: emphasis, lists, code, GFM tables and strikethrough", () => {
    const html = renderMarkdown("# Title\n\n**bold** _it_ ~~gone~~ `code`\n\n- a\n- b\n\n| h |\n| - |\n| c |");
    expect(html).toContain("<h1>Title</h1>");
    expect(html).toContain("<strong>bold</strong>");
    expect(html).toContain("<em>it</em>");
    expect(html).toContain("<del>gone</del>");
    expect(html).toContain("<code>code</code>");
    expect(html).toContain("<li>a</li>");
    expect(html).toContain("<table>");
  });

  it("escapes text that looks like HTML in code", () => {
    expect(renderMarkdown("`<script>alert(1)</script>`")).toContain("<code>&lt;script&gt;alert(1)&lt;/script&gt;</code>");
  });

  it("marks links rel=nofollow ugc noopener and opens them in a new tab", () => {
    const html = renderMarkdown("[site](https://example.com) and https://auto.example and <mailto:a@b.example>");
    const anchors = [...html.matchAll(/<a [^>]*>/g)].map((m) => m[0]);
    expect(anchors).toHaveLength(3);
    for (const a of anchors) {
      expect(a).toContain('rel="nofollow ugc noopener"');
      expect(a).toContain('target="_blank"');
    }
    expect(html).toContain('href="https://example.com"');
    expect(html).toContain('href="mailto:a@b.example"');
  });

  it("allows images from http(s) and our uploads only", () => {
    expect(renderMarkdown("![a](/api/v1/uploads/u/usr_x/abc.png)")).toContain('src="/api/v1/uploads/u/usr_x/abc.png"');
    expect(renderMarkdown("![a](https://img.example/a.png)")).toContain('src="https://img.example/a.png"');
    for (const src of ["/elsewhere/a.png", "//evil.example/a.png", "/api/v1/uploads/../me", "/api/v1/uploads/%2e%2e/me", "ftp://x.example/a.png"]) {
      expect(renderMarkdown(`![a](${src})`)).not.toContain("src=");
    }
  });

  it("drops raw HTML instead of rendering it", () => {
    const html = renderMarkdown('<b>bold</b> <div class="x">block</div>');
    expect(html).not.toContain("<b>");
    expect(html).not.toContain("<div");
  });
});

describe("excerpt", () => {
  it("gives plain text without Markdown syntax or raw HTML", () => {
    const text = excerpt("# Hello\n\nSome **bold** [link](https://x.example) <script>alert(1)</script> text");
    expect(text).toBe("Hello Some bold link alert(1) text");
    expect(text).not.toContain("<");
  });

  it("is at most 200 characters and ends with an ellipsis when cut", () => {
    const text = excerpt("word ".repeat(200));
    expect([...text].length).toBeLessThanOrEqual(200);
    expect(text.endsWith("…")).toBe(true);
    expect(excerpt("short")).toBe("short");
  });

  it("counts characters, not UTF-16 units, for CJK and emoji", () => {
    const text = excerpt("付費模式🎉".repeat(100));
    expect([...text]).toHaveLength(200);
  });
});
