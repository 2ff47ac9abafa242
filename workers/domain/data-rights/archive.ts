// Writing archives (ADR 019): an archive is a list of sections written through an encoder, read
// in keyset pages. The same sections and encoders serve the one-response GET exports and the
// export jobs that write in resumable steps, so the two cannot drift.
import { loadUserRow } from "../account/user-view";
import { exportSections } from "./registry";
import type { ExportContext, ExportSection } from "./types";

/** The archive format's name and version, first key of every account archive. */
export const ARCHIVE_FORMAT = "enclave-export/1" as const;

/** Items read per page; the largest rows (posts of ~40 KB) keep a page within a few MB. */
export const PAGE_ITEMS = 500;

/**
 * How sections become text. `open`/`close` frame a section, `item` writes one value (`first`:
 * the first of its section). Concatenating head, the sections and tail gives the whole archive.
 */
export type Encoder = {
  head: string;
  open: (section: ExportSection) => string;
  item: (value: unknown, first: boolean) => string;
  close: (section: ExportSection) => string;
  tail: string;
};

/** The account archive as one JSON object: `{format, exportedAt, userId, <section>: …}`. */
export const accountJson = (userId: string, exportedAt: string): Encoder => ({
  head: JSON.stringify({ format: ARCHIVE_FORMAT, exportedAt, userId }).slice(0, -1),
  open: (section) => `,${JSON.stringify(section.name)}:${section.shape === "list" ? "[" : ""}`,
  item: (value, first) => (first ? "" : ",") + JSON.stringify(value),
  close: (section) => (section.shape === "list" ? "]" : ""),
  tail: "}",
});

/**
 * The most a one-response export may hold (bytes of JSON): a Worker has 128 MB, and the answer is
 * held a few times over while it is serialised. Past it the archive is built as a job instead.
 */
export const INLINE_EXPORT_BYTES = 16 * 1024 * 1024;

/** Thrown by the one-response builders when the archive would pass its byte budget. */
export class ArchiveTooLarge extends Error {
  constructor() {
    super("the archive is too large for one response");
  }
}

/** Bytes left for a one-response archive; each page read spends its JSON size. */
export type ByteBudget = { left: number };

const jsonBytes = (value: unknown) => new TextEncoder().encode(JSON.stringify(value) ?? "").byteLength;

function spend(budget: ByteBudget | undefined, value: unknown) {
  if (!budget) return;
  budget.left -= jsonBytes(value);
  if (budget.left < 0) throw new ArchiveTooLarge();
}

/**
 * Reads every page of a list section into memory (the one-response exports). With `budget`, each
 * page spends its size and ArchiveTooLarge is thrown as soon as the budget is gone, so an archive
 * too large for one response is given up after at most one page past the limit.
 */
export async function allItems(section: Extract<ExportSection, { shape: "list" }>, ctx: ExportContext, budget?: ByteBudget): Promise<unknown[]> {
  const items: unknown[] = [];
  let after: number | null = null;
  do {
    const page = await section.page(ctx, after, PAGE_ITEMS);
    spend(budget, page.items);
    items.push(...page.items);
    after = page.last;
  } while (after !== null);
  return items;
}

/** Items the sections hold now: the denominator of a job's progress. */
export async function countItems(sections: ExportSection[], ctx: ExportContext): Promise<number> {
  const counts = await Promise.all(sections.map((s) => (s.shape === "list" ? s.count(ctx) : Promise.resolve(1))));
  return counts.reduce((sum, n) => sum + n, 0);
}

/**
 * The account archive of GET /me/export, in one response: `{format, exportedAt, userId, profile,
 * memberships, …}` with every registered section, read one section after another. Throws
 * not_found if the user does not exist, ArchiveTooLarge past `budget`.
 */
export async function exportAccount(env: Env, userId: string, budget?: ByteBudget) {
  const user = await loadUserRow(env, userId);
  const ctx: ExportContext = { env, user };
  const built: Array<readonly [string, unknown]> = [];
  for (const s of exportSections) {
    if (s.shape === "list") built.push([s.name, await allItems(s, ctx, budget)]);
    else {
      const value = await s.build(ctx);
      spend(budget, value);
      built.push([s.name, value]);
    }
  }
  return { format: ARCHIVE_FORMAT, exportedAt: new Date().toISOString(), userId: user.id, ...Object.fromEntries(built) };
}
