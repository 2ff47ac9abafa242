// Avatar initials and community letter icons are whole user-perceived characters (grapheme
// clusters): a name that starts a word with an emoji or a character outside the BMP must never
// show half a surrogate pair, which renders as U+FFFD "�".
import { describe, expect, it } from "vitest";
import { firstGrapheme, initials } from "../../app/components/ui";

describe("initials", () => {
  it("takes whole characters from the first and last words of names with emoji and astral letters", () => {
    expect(initials("مريم כהן 🎉")).toBe("م🎉");
    expect(initials("🎉 Party")).toBe("🎉P");
    expect(initials("𝒜lice 𝒵eta")).toBe("𝒜𝒵");
    expect(initials("👩‍👩‍👧 Family")).toBe("👩‍👩‍👧F");
  });

  it("never contains U+FFFD or a lone surrogate", () => {
    for (const name of ["مريم כהן 🎉", "🎉 Party", "𝒜lice 𝒵eta", "👩‍👩‍👧 Family", "🇹🇼 Lin", "e\u0301lise Noël"]) {
      const value = initials(name);
      expect(value).not.toContain("\uFFFD");
      // a lone surrogate: a high one not followed by a low one, or a low one not after a high one
      expect(value).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/);
    }
  });

  it("keeps the plain cases: upper-cased Latin initials, one Han character, ? for a blank name", () => {
    expect(initials("ada lovelace")).toBe("AL");
    expect(initials("Plato")).toBe("P");
    expect(initials("陳 小明")).toBe("陳");
    expect(initials("𠀋山 太郎")).toBe("𠀋"); // a Han character outside the BMP (Extension B)
    expect(initials("e\u0301lise noël")).toBe("E\u0301N"); // the accent stays on its letter
    expect(initials("   ")).toBe("?");
  });
});

describe("firstGrapheme", () => {
  it("gives a community's letter icon as one whole character", () => {
    expect(firstGrapheme("🎉 Party people")).toBe("🎉");
    expect(firstGrapheme("🇹🇼 Taipei coffee")).toBe("🇹🇼");
    expect(firstGrapheme("oolong club")).toBe("O");
    expect(firstGrapheme("straße")).toBe("S");
    expect(firstGrapheme("ßeta")).toBe("ß"); // "SS" would read as two letters
    expect(firstGrapheme("")).toBe("");
  });
});
