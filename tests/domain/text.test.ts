// The text rules of lib/text.ts, one behaviour at a time: what a name may hold and how it is
// stored, how any other text is cleaned, how case is folded, and how a stored row is repaired.
import { describe, expect, it } from "vitest";
import { createI18n } from "../../app/i18n";
import { issueText } from "../../app/lib/issues";
import { storedText } from "../../workers/db/stored-text";
import {
  cleanJson,
  cleanName,
  cleanText,
  isOneEmoji,
  foldCase,
  nameProblem,
  normalizeText,
  repairName,
  repairStoredRow,
  toName,
} from "../../workers/lib/text";

describe("nameProblem", () => {
  it("refuses names with nothing visible: fillers, blanks, zero-width and other ignorable characters", () => {
    for (const name of ["\u3164", "\u200B", "\u2800", "\uFFA0", "\u115F\u1160", " \u3000 ", "\u2060\uFEFF\u00AD\u034F", "\u200D", "\uFE0F", "\u{E0041}", "\u180E"]) {
      expect(nameProblem(name), JSON.stringify(name)).toBe("name_invisible");
    }
  });

  it("refuses any Cc control character, including tab, line breaks and C1 controls", () => {
    for (const name of ["\u0000", "Mei\u0000", "Mei\tLin", "Mei\r\nLin", "Mei\u007F", "Mei\u0085", "Mei\u009B"]) {
      expect(nameProblem(name), JSON.stringify(name)).toBe("name_control_chars");
    }
  });

  it("refuses the explicit bidi formatting characters of TR9: embeddings, overrides and isolates", () => {
    for (const ch of ["\u202A", "\u202B", "\u202C", "\u202D", "\u202E", "\u2066", "\u2067", "\u2068", "\u2069"]) {
      expect(nameProblem(`Mei${ch}Lin`), ch.codePointAt(0)?.toString(16)).toBe("name_bidi_control");
    }
  });

  it("accepts names in any script, with marks, numbers, symbols and emoji, and leaves the empty name to the length check", () => {
    for (const name of ["Mei Lin", "林美", "مريم", "שרה", "Zoë", "Nguyễn", "ಕನ್ನಡ", "👩‍💻", "🇹🇼", "R2-D2", "★", "\uE000Mei", ""]) {
      expect(nameProblem(name), name).toBeNull();
    }
  });

  it("refuses names of combining marks, private-use or noncharacter code points alone: nothing shows on its own", () => {
    for (const name of ["\u0301", "\u3164\u0301", "\u200B\u0301", " \u0301", "\u20DD\u0301", "\uE000", "\uFFFF", "\u{10FFFF}", "\u{E0001}"]) {
      expect(nameProblem(name), JSON.stringify(name)).toBe("name_invisible");
    }
  });
});

describe("cleanName", () => {
  it("composes to NFC", () => {
    expect(cleanName("Zoe\u0308")).toBe("Zo\u00EB");
    expect(cleanName("\u1100\u1161")).toBe("\uAC00");
  });

  it("collapses every kind of blank to one space and trims the ends", () => {
    expect(cleanName("\u00A0Mei\u3000\u2003 Lin\u2800\u3164")).toBe("Mei Lin");
    expect(cleanName("Mei\u2028Lin")).toBe("Mei Lin");
  });

  it("strips zero-width and other invisible characters that have no part in the writing", () => {
    expect(cleanName("\u200BAd\u200Bmin\uFEFF")).toBe("Admin");
    expect(cleanName("\u200Fשרה\u200E")).toBe("שרה");
    expect(cleanName("co\u00ADop")).toBe("coop");
    expect(cleanName("\u200DMei\u200D")).toBe("Mei");
    expect(cleanName("\uFE0FMei")).toBe("Mei");
  });

  it("keeps joiners and selectors where they are part of the writing", () => {
    expect(cleanName("👩\u200D💻")).toBe("👩\u200D💻");
    expect(cleanName("👨\u200D👩\u200D👧 Family")).toBe("👨\u200D👩\u200D👧 Family");
    expect(cleanName("❤\uFE0F")).toBe("❤\uFE0F");
    expect(cleanName("🏴\u{E0067}\u{E0062}\u{E0065}\u{E006E}\u{E0067}\u{E007F}")).toBe("🏴\u{E0067}\u{E0062}\u{E0065}\u{E006E}\u{E0067}\u{E007F}");
    expect(cleanName("می\u200Cخواهم")).toBe("می\u200Cخواهم");
    expect(cleanName("葛\u{E0100}城")).toBe("葛\u{E0100}城");
  });
});

describe("toName", () => {
  it("answers the problem, or the cleaned name", () => {
    expect(toName("\u202EMei")).toEqual({ ok: false, problem: "name_bidi_control" });
    expect(toName(" Zoe\u0308 ")).toEqual({ ok: true, name: "Zo\u00EB" });
  });
});

describe("cleanText", () => {
  it("composes to NFC, turns CR LF and CR into LF, and drops controls other than tab and LF", () => {
    expect(cleanText("cafe\u0301\r\nline\rend")).toBe("caf\u00E9\nline\nend");
    expect(cleanText("a\u0000b\u001B[0mc\u0085d\te")).toBe("ab[0mcd\te");
  });

  it("keeps right-to-left text, bidi embeddings, isolates and emoji: rendering isolates them", () => {
    expect(cleanText("\u202Bمرحبا\u202C \u2067שלום\u2069 👩\u200D💻")).toBe("\u202Bمرحبا\u202C \u2067שלום\u2069 👩\u200D💻");
  });

  it("drops the bidi overrides LRO and RLO, which spoof the order of letters ('file\\u202Egnp.exe')", () => {
    expect(cleanText("filename: RLO\u202E gnp.exe and \u202Dmore")).toBe("filename: RLO gnp.exe and more");
  });

  it("drops the PDF an override left behind: 'abc\u202Egnp.exe\u202C def' keeps neither (the tester's example)", () => {
    expect(cleanText("abc\u202Egnp.exe\u202C def")).toBe("abcgnp.exe def");
    expect(cleanText("\u202Dforced\u202C, then \u202Bمرحبا\u202C")).toBe("forced, then \u202Bمرحبا\u202C");
  });

  it("keeps an isolate or embedding only with its terminator in the same paragraph, and stray terminators never", () => {
    expect(cleanText("\u2067שלום\u2069 ok")).toBe("\u2067שלום\u2069 ok");
    expect(cleanText("\u2067never closed")).toBe("never closed");
    expect(cleanText("stray\u2069 and \u202C")).toBe("stray and ");
    expect(cleanText("\u2068one\nline\u2069")).toBe("one\nline");
    expect(cleanText("\u202Bopen\nclosed\u202C")).toBe("open\nclosed");
    // a PDI closes what was opened inside its isolate; a PDF cannot reach across an isolate
    expect(cleanText("\u2066a\u202Bb\u2069c")).toBe("\u2066ab\u2069c");
    expect(cleanText("\u202Ba\u2066b\u202Cc\u2069")).toBe("a\u2066bc\u2069");
    // implicit marks stay: they set no state that leaks
    expect(cleanText("a\u200Eb\u200Fc\u061Cd")).toBe("a\u200Eb\u200Fc\u061Cd");
  });

  it("drops openers past the UBA's max_depth of 125 with their terminators", () => {
    const deep = "\u2066".repeat(130) + "x" + "\u2069".repeat(130);
    expect(cleanText(deep)).toBe("\u2066".repeat(125) + "x" + "\u2069".repeat(125));
  });

  it("turns lone surrogates into U+FFFD", () => {
    expect(normalizeText("a\uD800b")).toBe("a\uFFFDb");
    expect(normalizeText("😀")).toBe("😀");
  });

  it("drops noncharacters (U+FFFF, U+FDD0, U+10FFFF), which are never for interchange, and keeps private use", () => {
    expect(normalizeText("a\uFFFFb\uFDD0c\u{10FFFF}d")).toBe("abcd");
    expect(cleanText("x\uFFFE\uE000")).toBe("x\uE000");
  });
});

describe("cleanJson", () => {
  it("cleans every string of a body except secrets, and gives names and titles NFC only, for their rule", () => {
    const body = {
      title: "cafe\u0301\u0000",
      description: "cafe\u0301\u0000\u202E",
      items: [{ body: "a\r\nb" }],
      password: "pa\u0301ss\u0000",
      token: "t\u0000",
      name: "Zoe\u0308\u0000",
      count: 3,
      flag: null,
    };
    expect(cleanJson(body)).toEqual({
      title: "caf\u00E9\u0000",
      description: "caf\u00E9",
      items: [{ body: "a\nb" }],
      password: "pa\u0301ss\u0000",
      token: "t\u0000",
      name: "Zo\u00EB\u0000",
      count: 3,
      flag: null,
    });
  });
});

describe("foldCase", () => {
  it("folds case in every script, per code point, in NFC", () => {
    expect(foldCase("ZOË")).toBe(foldCase("zoe\u0308"));
    expect(foldCase("Straße")).toBe(foldCase("STRASSE"));
    expect(foldCase("ΣΟΦΊΑ Σ")).toBe("σοφία σ");
    expect(foldCase("ΌΣΟΣ")).toBe(foldCase("όσος"));
    expect(foldCase("ﬁle")).toBe("file");
    expect(foldCase("Привет")).toBe("привет");
    expect(foldCase("林美")).toBe("林美");
  });

  it("may change the length: İ folds to i + combining dot above", () => {
    expect(foldCase("İ")).toBe("i\u0307");
  });
});

describe("repairing stored rows (the backfill)", () => {
  it("repairs a name instead of refusing it, and gives up only when nothing visible is left", () => {
    expect(repairName("\u202EMei\u0000Lin")).toBe("Mei Lin");
    expect(repairName("\u3164\u200B")).toBeNull();
  });

  it("lists the columns of a row that must change, with a fallback for a name with nothing visible", () => {
    const users = storedText.find((t) => t.table === "users")!;
    expect(repairStoredRow(users, { name: "Zoe\u0308", name_folded: null, bio: "ok" })).toEqual({ name: "Zo\u00EB", name_folded: "zo\u00EB" });
    expect(repairStoredRow(users, { name: "Mei", name_folded: "mei", bio: "ok" })).toEqual({});
    const communities = storedText.find((t) => t.table === "communities")!;
    expect(repairStoredRow(communities, { name: "\u3164", slug: "tea-club", description: "x\u0000" })).toEqual({
      name: "tea-club",
      description: "x",
    });
  });
});

describe("the name codes in the UI", () => {
  it("are translated in both languages, for any name field", () => {
    const en = createI18n("en").t;
    const zh = createI18n("zh-Hant").t;
    for (const code of ["name_invisible", "name_control_chars", "name_bidi_control", "title_invisible", "title_control_chars", "title_bidi_control"]) {
      const issue = { path: code.startsWith("title") ? "title" : "name", code, message: "English from the API" };
      expect(issueText(en, issue), code).not.toBe("English from the API");
      expect(issueText(zh, issue), code).not.toBe(issueText(en, issue));
    }
    expect(issueText(en, { path: "name", code: "name_invisible", message: "x" })).toBe("Use at least one visible letter, number or symbol.");
    expect(issueText(zh, { path: "name", code: "name_bidi_control", message: "x" })).toBe("請移除看不見的文字方向控制字元（例如由右至左覆寫）。");
  });
});

describe("isOneEmoji (every reaction)", () => {
  it("accepts one emoji: a pictograph, with a skin tone, a ZWJ family, a flag, a keycap, a text-style heart", () => {
    for (const emoji of ["👍", "👍🏽", "👨\u200D👩\u200D👧", "🇹🇼", "1️⃣", "❤️", "❤", "🏴\u{E0067}\u{E0062}\u{E0073}\u{E0063}\u{E0074}\u{E007F}"]) expect(isOneEmoji(emoji), emoji).toBe(true);
  });

  it("refuses several emoji, an emoji with a letter, letters, half a flag, a bare digit and nothing", () => {
    for (const text of ["👍👍👍", "a😀", "😀a", "hello", "🇹", "1", "", " 👍", "👍\u200B"]) expect(isOneEmoji(text), text).toBe(false);
  });
});

