import { it } from "vitest";
import { renderMarkdown, excerpt, parseWithinBounds } from "../../workers/lib/markdown";
const N = 40000;
const fill = (unit: string) => unit.repeat(Math.floor(N / unit.length));
const cases: Record<string, string> = {
  quotes3000: ">".repeat(3000) + "hi",
  quotes40k: fill(">"),
  quotes32paras: fill(">".repeat(32) + " x\n\n"),
  quotes128paras: fill(">".repeat(128) + " x\n\n"),
  quotes100paras: fill(">".repeat(100) + " x\n\n"),
  listsIndent: Array.from({ length: 3000 }, (_, i) => " ".repeat(i * 2) + "- x").join("\n").slice(0, N),
  listsIndent30: fill(Array.from({ length: 30 }, (_, i) => " ".repeat(i * 2) + "- x").join("\n") + "\n\n"),
  listsInline: fill("- "),
  listsInline60: fill("- ".repeat(60) + "x\n\n"),
  starsInline: fill("* "),
  ordered: fill("1. "),
  star40k: fill("*"),
  starword: fill("*a "),
  emphNest: "*".repeat(N / 2 - 1) + "a" + "*".repeat(N / 2 - 1),
  emphNest2: "_a ".repeat(6000) + "x" + " a_".repeat(6000),
  emph30paras: fill("_a ".repeat(30) + "x" + " a_".repeat(30) + "\n\n"),
  strongNest: "**a ".repeat(5000) + "x" + " a**".repeat(5000),
  bracket40k: fill("["),
  bracketClose: fill("[]"),
  linkNest: "[".repeat(6000) + "a" + "](b)".repeat(6000),
  imgNest: "![".repeat(5000) + "a" + "](b)".repeat(5000),
  lt40k: fill("<"),
  ltNest: fill("<a"),
  ltNest2: fill("<a "),
  backtick: fill("`"),
  codeSpans: fill("`a"),
  bigTable: ("|" + "a|".repeat(200) + "\n|" + "-|".repeat(200) + "\n" + ("|" + "b|".repeat(200) + "\n").repeat(60)).slice(0, N),
  tableRows: ("|a|b|\n|-|-|\n" + fill("|*x*|[y](z)|\n")).slice(0, N),
  tableWide: "|a".repeat(10000) + "\n" + "|-".repeat(10000),
  tableInQuotes: ">".repeat(30) + "| a |\n" + ">".repeat(30) + "| - |\n" + fill(">".repeat(30) + "| b |\n"),
  footDefs: "a[^1]\n\n" + fill("[^1]: "),
  footnoteChain: Array.from({ length: 1500 }, (_, i) => "[^" + i + "]: " + "[^" + (i + 1) + "]").join("\n") + "\n\na[^0]",
  emphBombQuad: fill("*a **a "),
  underscoreBomb: fill("_a __a "),
  linkBomb: fill("[a]("),
  linkBomb2: fill("[a](b "),
  refBomb: fill("[a]") + "\n\n[a]: x",
  refDefs: fill("[a]: b\n"),
  autolinkBomb: fill("www.a"),
  autolink2: fill("a@b."),
  mixedQL: fill("> - "),
  headingBrackets: "# " + fill("["),
  htmlComment: fill("<!--"),
  pipes: fill("|"),
  tildes: fill("~"),
  tildeword: fill("~a "),
  entities: fill("&amp;"),
  entitiesBad: fill("&#"),
  mixedEmph: fill("*_~a "),
  setext: fill("a\n=\n"),
  hashes: fill("#"),
  spaces: fill(" ") + "x",
  tabsList: fill("\t- "),
  bangs: fill("!["),
  parens: fill("]("),
  prose: fill("Hello **world**, this is [a link](https://example.com) and `code`.\n\n"),
};
it("times", () => {
  const rows: string[] = [];
  for (const [name, md] of Object.entries(cases)) {
    const est = 0; const tEst = 0;
    let t = performance.now();
    const p = parseWithinBounds(md);
    const tParse = performance.now() - t;
    t = performance.now();
    const html = renderMarkdown(md);
    const tRender = performance.now() - t;
    t = performance.now();
    excerpt(md);
    const tEx = performance.now() - t;
    rows.push(`${name.padEnd(16)} est=${String(est).padStart(6)} ${"reason" in p ? p.reason : "ok"} estMs=${tEst.toFixed(1)} parseMs=${tParse.toFixed(1)} renderMs=${tRender.toFixed(1)} exMs=${tEx.toFixed(1)} len=${md.length} html=${html.length}`);
  }
  console.log(rows.join("\n"));
}, 600_000);
