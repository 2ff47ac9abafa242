// Every column that stores user text, for the backfill that brings rows written before the text
// rules (lib/text.ts) under them: workers/domain/jobs/text-backfill.ts in the Worker and
// scripts/text-backfill.mjs locally. A new table with user text adds an entry here; its writes go
// through the API boundary and need nothing else. Type imports only: the script loads this file under Node.
import type { StoredTextTable } from "../lib/text";

/** The backfill's marker in the `backfills` table: a later change of the rules that needs another pass takes a new name. */
export const TEXT_BACKFILL = "text-nfc-2026-11";

export const storedText: StoredTextTable[] = [
  {
    table: "users",
    columns: [
      { column: "name", kind: "name", fallback: { value: "Member" } },
      { column: "bio", kind: "text" },
    ],
    folded: { column: "name_folded", of: "name" },
  },
  {
    table: "communities",
    columns: [
      { column: "name", kind: "name", fallback: { column: "slug" } },
      { column: "description", kind: "text" },
    ],
  },
  {
    table: "tiers",
    columns: [
      { column: "name", kind: "name", fallback: { column: "key" } },
      { column: "description", kind: "text" },
    ],
  },
  {
    table: "spaces",
    columns: [
      { column: "name", kind: "name", fallback: { value: "Space" } },
      { column: "description", kind: "text" },
    ],
  },
  { table: "bans", columns: [{ column: "reason", kind: "text" }] },
  {
    table: "posts",
    columns: [
      // a title follows the name rule (lib/text.ts titleProblem): overrides go, blanks collapse
      { column: "title", kind: "name", fallback: { value: "Untitled" } },
      { column: "body", kind: "text" },
      { column: "excerpt", kind: "text" },
    ],
    search: "post",
  },
  { table: "comments", columns: [{ column: "body", kind: "text" }], search: "comment" },
];
