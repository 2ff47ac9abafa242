// Redirect targets that come from the request (`next=` on login and signup, `redirectTo` on
// /lang) must end on the app's own origin however they are spelled: the check runs after the URL
// parser has normalised dot segments, encodings and backslashes.
import { describe, expect, it } from "vitest";
import { safeNext } from "../../app/lib/forms.server";

const SITE = "http://enclave.invalid";
/** Where a browser on the site would land if it followed `Location: target`. */
const landing = (target: string) => new URL(target, `${SITE}/login`).origin;

describe("safeNext", () => {
  it("refuses /.//evil.example/phish, which normalises to the protocol-relative //evil.example/phish", () => {
    expect(safeNext("/.//evil.example/phish")).toBe("/");
  });

  const hostile = [
    "//evil.example",
    "///evil.example",
    "/\\evil.example",
    "/\\/evil.example",
    "\\\\evil.example",
    "/./\\evil.example",
    "/../evil.example/..//evil.example",
    "/a/../..//evil.example",
    "/%2e%2e//evil.example",
    "/.%2e//evil.example",
    "/%2E//evil.example",
    "/././/evil.example",
    "/\t/evil.example",
    "/\n/evil.example",
    "/\r//evil.example",
    "/\u0000/evil.example",
    "https://evil.example/",
    "http:/evil.example",
    "javascript:alert(1)",
    " /x",
    "evil.example",
    "",
  ];
  for (const target of hostile) {
    it(`keeps ${JSON.stringify(target)} on the site`, () => {
      const safe = safeNext(target, "/home");
      expect(landing(safe)).toBe(SITE);
      expect(safe.startsWith("/") && !safe.startsWith("//")).toBe(true);
    });
  }

  it("keeps ordinary same-site paths, normalised, with their query and fragment", () => {
    expect(safeNext("/c/creator-lab?tab=members#top")).toBe("/c/creator-lab?tab=members#top");
    expect(safeNext("/c/./creator-lab/../creator-lab/posts")).toBe("/c/creator-lab/posts");
    expect(safeNext("/%2F%2Fevil.example")).toBe("/%2F%2Fevil.example"); // an encoded slash is a path character
    expect(landing(safeNext("/%2F%2Fevil.example"))).toBe(SITE);
    expect(safeNext("/c/創作者")).toBe("/c/%E5%89%B5%E4%BD%9C%E8%80%85");
  });

  it("gives an answer that passing through again leaves unchanged", () => {
    for (const target of ["/c/./x/../y?q=1", "/a//b", "/c/創作者#x", ...hostile]) {
      const once = safeNext(target);
      expect(safeNext(once)).toBe(once);
    }
  });
});
