// The layers point one way (issue 11): lib/ is leaf code, the domain knows nothing of HTTP or
// pages. A wrong import compiles fine, so this reads every module's import specifiers instead.
import { describe, expect, it } from "vitest";

const sources = import.meta.glob<string>(["../../workers/**/*.ts", "!../../workers/**/*.d.ts"], {
  query: "?raw",
  import: "default",
  eager: true,
});

// import/export ... from "x", import("x") and bare import "x"
const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)["']([^"']+)["']/gm;

/** "../../workers/domain/a/b.ts" + "../../lib/x" → "workers/lib/x" */
function resolve(file: string, specifier: string): string {
  const parts = file.replace(/^(\.\.\/)+/, "").split("/").slice(0, -1);
  for (const piece of specifier.split("/")) {
    if (piece === "..") parts.pop();
    else if (piece !== ".") parts.push(piece);
  }
  return parts.join("/");
}

/** Every "file → target" import from files under `from` into any of `forbidden` (folders under workers/ or the app). */
function crossings(from: string, forbidden: string[]): string[] {
  const out: string[] = [];
  for (const [file, text] of Object.entries(sources)) {
    const path = file.replace(/^(\.\.\/)+/, "");
    if (!path.startsWith(`workers/${from}/`)) continue;
    for (const match of text.matchAll(SPECIFIER)) {
      const spec = match[1];
      if (!spec.startsWith(".")) continue;
      const target = resolve(file, spec);
      if (forbidden.some((f) => target === f || target.startsWith(`${f}/`))) out.push(`${path} → ${spec}`);
    }
  }
  return out;
}

describe("layer directions", () => {
  it("reads the worker's modules (the scan is not vacuous)", () => {
    const paths = Object.keys(sources);
    expect(paths.some((p) => p.endsWith("workers/lib/markdown.ts"))).toBe(true);
    expect(paths.some((p) => p.endsWith("workers/domain/access.ts"))).toBe(true);
    expect(paths.filter((p) => p.includes("/workers/domain/")).length).toBeGreaterThan(50);
  });

  it("finds a crossing when one exists (the resolver sees ../ paths)", () => {
    expect(resolve("../../workers/lib/markdown.ts", "../domain/uploads/images")).toBe("workers/domain/uploads/images");
    expect(resolve("../../workers/domain/auth/reader.ts", "../../api/factory")).toBe("workers/api/factory");
  });

  it("lib/ imports nothing from the domain, the API or the app", () => {
    expect(crossings("lib", ["workers/domain", "workers/api", "app"])).toEqual([]);
  });

  it("the domain imports nothing from the API or the app", () => {
    expect(crossings("domain", ["workers/api", "app"])).toEqual([]);
  });
});
