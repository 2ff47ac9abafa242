// Unicode hygiene for every piece of user text, written once: the API boundary
// (api/middleware.ts `jsonBody` and `cleanInput`), the name schema (domain/schemas/common.ts `NameField`), the
// search index, the folded columns and the backfill of old rows all call these functions, and so
// must chat and events when they arrive (a Durable Object message never passes the HTTP
// middleware: call `cleanText` / `nameProblem` + `cleanName` on it).
//
// Sources: Unicode Standard Annex #15 (normalization forms; NFC is what the web and IMEs write),
// UAX #9 / TR9 §2 (explicit bidi formatting characters U+202A–202E, U+2066–2069; implicit marks
// U+200E, U+200F, U+061C), UAX #44 (General_Category Cc/Cf, Default_Ignorable_Code_Point,
// White_Space), UTS #51 (emoji ZWJ, variation and tag sequences: the RGI_Emoji property of
// strings), Unicode §5.18 / CaseFolding.txt (caseless matching). Properties are read from the
// engine's own Unicode tables through `\p{…}` regexes, so a new Unicode version needs no edit here.

/** Explicit bidi embeddings, overrides and isolates (TR9 §2.1–2.7): they reorder text after them. */
const BIDI_CONTROL = /[\u202A-\u202E\u2066-\u2069]/u;
const BIDI_CONTROL_ALL = /[\u202A-\u202E\u2066-\u2069]/gu;
/** C0, DEL and C1 controls (General_Category Cc). */
const CONTROL = /\p{Cc}/u;
const CONTROL_ALL = /\p{Cc}/gu;
/** Cc that text may keep: tab and line feed (a CR is turned into a line feed first). */
const CONTROL_BUT_TAB_LF = /(?![\t\n])\p{Cc}/gu;
/**
 * Characters that show as blank: every White_Space character (spaces of every width, line and
 * paragraph separators) and the "blank" letters and symbols that are not White_Space but render as
 * nothing (U+2800 BRAILLE PATTERN BLANK, U+3164 HANGUL FILLER, U+FFA0 HALFWIDTH HANGUL FILLER).
 */
const BLANK = /[\p{White_Space}\u2800\u3164\uFFA0]/u;
/** Default_Ignorable_Code_Point: ZWSP, ZWJ/ZWNJ, word joiner, BOM, soft hyphen, CGJ, fillers, marks, VS, tags, … */
const IGNORABLE = /\p{Default_Ignorable_Code_Point}/u;
/**
 * Emoji sequences as recommended for general interchange (UTS #51): 👩‍💻, ❤️, 🏴󠁧󠁢󠁳󠁣󠁴󠁿, 1️⃣. Built from a
 * string: TypeScript checks regex literals against the ES2022 target, which predates the v flag.
 */
const RGI_EMOJI = new RegExp("\\p{RGI_Emoji}", "gv");
const JOINER = /^[\u200C\u200D]$/u;
/** Variation selectors (VS1–16, VS17–256) and Mongolian free variation selectors: they modify the character before. */
const SELECTOR = /^[\uFE00-\uFE0F\u180B-\u180D\u180F\u{E0100}-\u{E01EF}]$/u;
/** A character that is part of what a reader sees: not blank, not ignorable, not a control or format character, not a lone surrogate. */
const VISIBLE = /[^\p{White_Space}\p{Default_Ignorable_Code_Point}\p{Cc}\p{Cf}\p{Cs}\u2800]/u;
/**
 * A character that shows on its own: a letter, number, symbol or punctuation mark (General
 * Category L, N, S, P). Combining marks (M) are not: "\u0301" alone shows at most a dotted
 * circle; nor are private-use (Co), unassigned or noncharacter code points (Cn), whose look no
 * standard defines. A name needs one of these (that is also VISIBLE: U+3164 is a "letter" that
 * shows nothing).
 */
const BASE = /[\p{L}\p{N}\p{S}\p{P}]/u;

/** With the u flag a lone surrogate is a code point of its own, of category Cs; pairs never match. */
const LONE_SURROGATE = /\p{Cs}/gu;
/**
 * Noncharacters (Unicode §23.7: U+FDD0–FDEF and the last two code points of every plane, U+FFFE,
 * U+FFFF, U+1FFFE, …): permanently reserved for a program's internal use, never for interchange.
 */
const NONCHARACTER = /[\uFDD0-\uFDEF\uFFFE\uFFFF\u{1FFFE}\u{1FFFF}\u{2FFFE}\u{2FFFF}\u{3FFFE}\u{3FFFF}\u{4FFFE}\u{4FFFF}\u{5FFFE}\u{5FFFF}\u{6FFFE}\u{6FFFF}\u{7FFFE}\u{7FFFF}\u{8FFFE}\u{8FFFF}\u{9FFFE}\u{9FFFF}\u{AFFFE}\u{AFFFF}\u{BFFFE}\u{BFFFF}\u{CFFFE}\u{CFFFF}\u{DFFFE}\u{DFFFF}\u{EFFFE}\u{EFFFF}\u{FFFFE}\u{FFFFF}\u{10FFFE}\u{10FFFF}]/gu;

const isVisible = (ch: string | undefined) => ch !== undefined && VISIBLE.test(ch) && !BLANK.test(ch);

/**
 * NFC (UAX #15) of well-formed text: lone UTF-16 surrogates, which JSON can carry ("\ud800") but
 * no storage or renderer can, become U+FFFD, and noncharacters (U+FFFF, …) are dropped. Loses
 * nothing a reader could see.
 */
export function normalizeText(text: string): string {
  return text.replace(LONE_SURROGATE, "\uFFFD").replace(NONCHARACTER, "").normalize("NFC");
}

/**
 * The bidi overrides LRO and RLO (TR9 §2.2): they lay the letters after them out in a forced
 * order, "file\u202Egnp.exe" reads "fileexe.png", which is a spoof and never writing.
 */
export const BIDI_OVERRIDE = /[\u202D\u202E]/gu;

/** Paragraph separators (bidi class B): an embedding or isolate never reaches past one (TR9 BD7, X8). */
const PARAGRAPH_END = /[\n\r\u001C-\u001E\u0085\u2029]/u;
/** TR9 §3.3.2: max_depth. Openers beyond it have no effect in a renderer; here they are dropped. */
const BIDI_MAX_DEPTH = 125;

/**
 * Explicit bidi formatting that is well formed, and nothing else (TR9 §2, §3.3.2): the overrides
 * LRO/RLO (U+202D/E) always go, with the PDF that would end them; an embedding (LRE/RLE
 * U+202A/B) stays only with the PDF (U+202C) that ends it, an isolate (LRI/RLI/FSI U+2066–2068)
 * only with its PDI (U+2069), both in the same paragraph; every other PDF, PDI or opener — one
 * left behind by a removed override, one never closed, one past max_depth — goes. Implicit marks
 * (LRM/RLM/ALM U+200E/200F/061C) stay: they are letters' direction, not a state that leaks into
 * what follows. Linear in the text's length.
 */
export function balanceBidi(text: string): string {
  if (!BIDI_CONTROL.test(text)) return text;
  const units = [...text];
  const keep = new Set<number>();
  /** open embeddings, overrides and isolates of the current paragraph, innermost last */
  let open: Array<{ at: number; kind: "embed" | "override" | "isolate"; kept: boolean }> = [];
  units.forEach((ch, at) => {
    if (PARAGRAPH_END.test(ch)) {
      open = [];
    } else if (ch === "\u202A" || ch === "\u202B" || ch === "\u202D" || ch === "\u202E") {
      const kind = ch === "\u202D" || ch === "\u202E" ? "override" : "embed";
      open.push({ at, kind, kept: kind === "embed" && open.length < BIDI_MAX_DEPTH });
    } else if (ch === "\u2066" || ch === "\u2067" || ch === "\u2068") {
      open.push({ at, kind: "isolate", kept: open.length < BIDI_MAX_DEPTH });
    } else if (ch === "\u202C") {
      // a PDF ends the innermost embedding or override, never across an isolate (TR9 X7)
      const top = open.at(-1);
      if (top && top.kind !== "isolate") {
        open.pop();
        if (top.kept) keep.add(top.at).add(at);
      }
    } else if (ch === "\u2069") {
      // a PDI ends the innermost isolate and whatever was opened inside it (TR9 X6a)
      const inner = open.map((o) => o.kind).lastIndexOf("isolate");
      if (inner >= 0) {
        const isolate = open[inner];
        open = open.slice(0, inner);
        if (isolate.kept) keep.add(isolate.at).add(at);
      }
    }
  });
  return units.filter((ch, at) => !BIDI_CONTROL.test(ch) || keep.has(at)).join("");
}

/**
 * Text a person wrote (a body, bio, description, search query, chat message): NFC, line breaks as
 * "\n" ("\r\n" and a lone "\r" become "\n"), no Cc control character except tab and line feed
 * (U+0000, escape sequences, C1 controls are dropped), and explicit bidi formatting balanced
 * (`balanceBidi`: no override, no stray PDF/PDI, no opener left open). Right-to-left text, emoji,
 * implicit marks and closed embeddings and isolates stay: isolation when rendering keeps their
 * effect inside the text.
 */
export function cleanText(text: string): string {
  return balanceBidi(normalizeText(text).replace(/\r\n?/g, "\n").replace(CONTROL_BUT_TAB_LF, ""));
}

/** One whole emoji as UTS #51 recommends it for interchange (RGI_Emoji: 👍🏽, 👨‍👩‍👧, 🇹🇼, 1️⃣, 🏴󠁧󠁢󠁳󠁣󠁴󠁿). */
const RGI_EMOJI_ONLY = new RegExp("^\\p{RGI_Emoji}$", "v");
/** A pictograph in its text-default form, with or without the emoji selector (❤, ❤️, ☺): older keyboards send these. */
const PICTOGRAPH_ONLY = /^\p{Extended_Pictographic}\uFE0F?$/u;
const graphemes = new Intl.Segmenter("en", { granularity: "grapheme" });

/**
 * True when `text` is exactly one emoji: one grapheme cluster (UAX #29, `Intl.Segmenter`) that is
 * an RGI emoji (UTS #51 §3.1: a pictograph with its skin tone, a ZWJ sequence, a flag of two
 * regional indicators, a keycap, a tag sequence) or a lone Extended_Pictographic character with
 * an optional VS16. "👍👍👍" (three clusters), "a😀", "1" and "🇹" (half a flag) are not. Used for
 * every reaction: chat frames and PUT /messages/:id/reactions/:emoji (durable-objects/protocol.ts).
 */
export function isOneEmoji(text: string): boolean {
  if (text.length === 0 || text.length > 64) return false;
  const clusters = graphemes.segment(text)[Symbol.iterator]();
  const first = clusters.next();
  if (first.done || !clusters.next().done) return false;
  return RGI_EMOJI_ONLY.test(text) || PICTOGRAPH_ONLY.test(text);
}

const TEXT_DEFAULT_PICTOGRAPH = /^(?=\p{Extended_Pictographic})\P{Emoji_Presentation}$/u;

/**
 * One emoji in its fully-qualified form (Unicode TS #51): a lone pictograph whose default is text
 * presentation gets U+FE0F, so "❤" and "❤️" are one reaction, not two. Anything else is returned
 * as it is. Expects `isOneEmoji(text)`.
 */
export function canonicalEmoji(text: string): string {
  return TEXT_DEFAULT_PICTOGRAPH.test(text) ? `${text}\uFE0F` : text;
}

/** Why a name is refused, as the `code` of an API issue; see `nameProblem`. */
export type NameProblem = "name_control_chars" | "name_bidi_control" | "name_invisible";

/** English messages for the API's `message`; the UI translates the code (app/i18n validation.*). */
export const nameProblemMessage: Record<NameProblem, string> = {
  name_control_chars: "A name cannot contain control characters (tabs, line breaks, U+0000, …).",
  name_bidi_control: "A name cannot contain bidirectional override, embedding or isolate characters (U+202A–U+202E, U+2066–U+2069).",
  name_invisible: "A name needs at least one visible character.",
};

/** Why a title (of a post; later an event) is refused: the name rule's reasons under a title_ code. */
export type TitleProblem = "title_control_chars" | "title_bidi_control" | "title_invisible";

export const titleProblemMessage: Record<TitleProblem, string> = {
  title_control_chars: "A title cannot contain control characters.",
  title_bidi_control: "A title cannot contain bidirectional override, embedding or isolate characters (U+202A–U+202E, U+2066–U+2069).",
  title_invisible: "A title needs at least one visible character.",
};

/**
 * A title is one line shown inside other text (a feed, a notification sentence, the page's
 * <title>), so it follows the name rule: nothing-visible, control characters and bidi overrides
 * are refused, blanks collapse. Tabs and line breaks are blanks here, not refused: a title pasted
 * across lines is still one title. `titleText` gives the form the rule is checked on and stored in.
 */
export const titleText = (raw: string) => raw.replace(/[\t\n\r]/g, " ");

/** What is wrong with `raw` as a title, or null (see `titleText`, `nameProblem`). */
export function titleProblem(raw: string): TitleProblem | null {
  // blanks alone are an empty title: the length check answers that (too_small), as it always has
  if (titleText(raw).trim() === "") return null;
  const problem = nameProblem(titleText(raw));
  return problem ? (problem.replace("name_", "title_") as TitleProblem) : null;
}

/**
 * What is wrong with `raw` as a name of a person, community, space or tier, or null. Checked on the
 * text as sent (after NFC): any Cc control → "name_control_chars"; any explicit bidi formatting
 * character (TR9: U+202A–202E, U+2066–2069) → "name_bidi_control"; non-empty but nothing visible
 * once `cleanName` has run (only blanks, fillers, zero-width or other default-ignorable
 * characters) → "name_invisible". The empty string is left to the field's length check.
 */
export function nameProblem(raw: string): NameProblem | null {
  if (CONTROL.test(raw)) return "name_control_chars";
  if (BIDI_CONTROL.test(raw)) return "name_bidi_control";
  if (raw.length > 0 && !hasVisible(cleanName(raw))) return "name_invisible";
  return null;
}

/** True when `text` has at least one character a reader can see on its own (a visible letter, number, symbol or punctuation mark). */
export function hasVisible(text: string): boolean {
  for (const ch of text) if (isVisible(ch) && BASE.test(ch)) return true;
  return false;
}

/**
 * The stored form of a name (call `nameProblem` first; this does not refuse anything): NFC;
 * every run of blanks (any White_Space, U+2800, U+3164, U+FFA0) is one U+0020, none at the ends;
 * invisible default-ignorable characters are **stripped** — zero-width space, word joiner, BOM,
 * soft hyphen, CGJ, bidi marks (the name is rendered isolated, so they have no work to do), tags
 * and selectors standing alone — except where they are part of the writing:
 * - emoji sequences (RGI_Emoji: ZWJ, VS16, keycaps, tag flags) are kept whole;
 * - ZWJ / ZWNJ between two visible characters (Persian, Indic scripts, newer emoji sequences);
 * - a variation selector right after a visible character (CJK ideographic variants in names);
 * - Hangul choseong/jungseong fillers U+115F/U+1160 inside a conjoining jamo sequence.
 * Stripping rather than refusing: they arrive unseen with pasted text, and stripping makes
 * "Ad\u200Bmin" and "Admin" the same name rather than two that look alike.
 */
export function cleanName(raw: string): string {
  const text = normalizeText(raw);
  let out = "";
  let at = 0;
  for (const emoji of text.matchAll(RGI_EMOJI)) {
    out += cleanNameRun(text.slice(at, emoji.index), out);
    out += emoji[0];
    at = emoji.index + emoji[0].length;
  }
  out += cleanNameRun(text.slice(at), out);
  return out.replace(/ {2,}/g, " ").trim().normalize("NFC");
}

/** The last code point of `text` (a surrogate pair whole), or undefined for "". */
function lastCodePoint(text: string): string | undefined {
  if (text.length === 0) return undefined;
  const low = text.charCodeAt(text.length - 1);
  return low >= 0xdc00 && low <= 0xdfff && text.length > 1 ? text.slice(-2) : text.slice(-1);
}

/** One stretch of a name without emoji sequences; `before` is what has been kept so far. Linear in its length. */
function cleanNameRun(run: string, before: string): string {
  const chars = [...run];
  let out = "";
  let last = lastCodePoint(before);
  const keep = (ch: string) => {
    out += ch;
    last = ch;
  };
  chars.forEach((ch, i) => {
    const next = chars[i + 1];
    if (BLANK.test(ch)) {
      keep(" ");
    } else if (!IGNORABLE.test(ch)) {
      keep(ch);
    } else if (JOINER.test(ch)) {
      if (isVisible(last) && isVisible(next)) keep(ch);
    } else if (SELECTOR.test(ch)) {
      if (isVisible(last)) keep(ch);
    } else if (ch === "\u115F") {
      if (next !== undefined && next >= "\u1160" && next <= "\u11A7") keep(ch);
    } else if (ch === "\u1160") {
      if (last !== undefined && last >= "\u1100" && last <= "\u115F") keep(ch);
    }
    // any other default-ignorable character is dropped
  });
  return out;
}

/**
 * A name ready to store, or the problem that refuses it: `nameProblem`, then `cleanName`.
 * For callers outside zod (chat, scripts); the API uses `NameField` (domain/schemas/common.ts).
 */
export function toName(raw: string): { ok: true; name: string } | { ok: false; problem: NameProblem } {
  const problem = nameProblem(normalizeText(raw));
  return problem ? { ok: false, problem } : { ok: true, name: cleanName(raw) };
}

/**
 * Caseless-matching key (Unicode §3.13 / CaseFolding.txt, full folding approximated by the
 * engine's own case mappings): NFC, then each code point upper-cased and lower-cased on its own
 * (so "ß" and "SS" meet at "ss", "ς" and "Σ" at "σ", "ﬁ" at "fi"; per code point, so the final-sigma
 * rule of toLowerCase cannot make one word fold two ways), then NFC again. The result may be
 * longer than the input ("İ" → "i̇"): compare folded strings with folded strings only, never
 * index into the original with positions found in the folded form. SQLite's lower() folds ASCII
 * only and D1 has no ICU, so case-insensitive SQL compares columns filled with this.
 */
export function foldCase(text: string): string {
  let out = "";
  for (const ch of normalizeText(text)) out += ch.toUpperCase().toLowerCase();
  return out.normalize("NFC");
}

/** Keys whose string values are secrets, passed on byte for byte (crypto.ts NFKC-normalises passwords itself). */
const SECRET_KEY = /password|token|secret/i;
/**
 * Keys whose values are names and titles: NFC only here, so that their rule (`NameField`,
 * `TitleField`) still sees a control character or an override and refuses it with its own code
 * instead of it being dropped unseen.
 */
const LABEL_KEYS = new Set(["name", "title"]);

/**
 * The boundary pass over a parsed JSON body (api/middleware.ts): every string `cleanText`-ed,
 * recursively through arrays and objects, except the values of secret keys (password, token, …:
 * untouched) and of `name` and `title` keys (NFC only; their rule decides). Object keys stay as sent.
 */
export function cleanJson(value: unknown, key = ""): unknown {
  if (typeof value === "string") {
    if (SECRET_KEY.test(key)) return value;
    return LABEL_KEYS.has(key) ? normalizeText(value) : cleanText(value);
  }
  if (Array.isArray(value)) return value.map((item) => cleanJson(item, key));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, cleanJson(v, k)]));
  }
  return value;
}

/**
 * A name stored before the name rule existed, made to follow it without refusing anything (the
 * backfill): control characters become blanks, bidi formatting characters go, then `cleanName`.
 * Null when nothing visible is left: the caller substitutes a neutral name.
 */
export function repairName(stored: string): string | null {
  const name = cleanName(normalizeText(stored).replace(CONTROL_ALL, " ").replace(BIDI_CONTROL_ALL, ""));
  return hasVisible(name) ? name : null;
}

/** A column of user text in a stored table: a name (the name rule) or text (`cleanText`). */
export type StoredTextColumn = {
  column: string;
  kind: "name" | "text";
  /** for a name with nothing visible left: another column's value (a slug, a key) or a fixed word */
  fallback?: { column: string } | { value: string };
};

/** A table whose user text the backfill brings under these rules (workers/db/stored-text.ts lists them). */
export type StoredTextTable = {
  table: string;
  columns: StoredTextColumn[];
  /** a column that holds foldCase() of another (users.name_folded of users.name) */
  folded?: { column: string; of: string };
  /** the search document kind its rows are indexed as, re-indexed when their text changes */
  search?: "post" | "comment";
};

/**
 * The columns of one stored row that must change to follow the rules (NFC, no stray controls,
 * the name rule, a folded copy in step), as { column: new value }; empty when the row is fine.
 * `row` holds the current values of the table's columns (and of any fallback column).
 */
export function repairStoredRow(spec: StoredTextTable, row: Record<string, unknown>): Record<string, string> {
  const set: Record<string, string> = {};
  const current = (column: string) => (typeof row[column] === "string" ? (row[column] as string) : null);
  for (const { column, kind, fallback } of spec.columns) {
    const value = current(column);
    if (value === null) continue;
    let next = kind === "text" ? cleanText(value) : repairName(value);
    if (next === null) {
      const other = fallback && "column" in fallback ? current(fallback.column) : null;
      next = (other && repairName(other)) ?? (fallback && "value" in fallback ? fallback.value : "-");
    }
    if (next !== value) set[column] = next;
  }
  if (spec.folded) {
    const folded = foldCase(set[spec.folded.of] ?? current(spec.folded.of) ?? "");
    if (folded !== current(spec.folded.column)) set[spec.folded.column] = folded;
  }
  return set;
}
