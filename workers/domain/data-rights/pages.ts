// Keyset pages for list sections of the archive (types.ts ExportSection): every table is read in
// rowid order, which SQLite keeps for free in each index (an index on user_id ends in rowid), so
// `user_id = ? AND rowid > ?` is one index range and any section can stop and resume on a number.
import { and, gt, sql, type SQL } from "drizzle-orm";
import type { SQLiteTable } from "drizzle-orm/sqlite-core";
import { getDb, schema } from "../../db/client";
import type { UserRow } from "../account/user-view";
import type { ExportContext, ExportPage, ExportSection } from "./types";

/** The table's SQLite rowid, to select and order by. */
export const rowid = (table: SQLiteTable) => sql<number>`${table}.rowid`;

/** The keyset condition "after the item with rowid `after`"; undefined (no condition) from the start. */
export const afterRowid = (table: SQLiteTable, after: number | null): SQL | undefined =>
  after === null ? undefined : gt(rowid(table), after);

/**
 * A page from rows read with `limit` in rowid order: the items mapped, and the keyset to resume
 * after (null once a page comes back short, so the last page costs no extra empty read).
 */
export function toPage<Row extends { rowid: number }>(rows: Row[], limit: number, map: (row: Row) => unknown): ExportPage {
  return { items: rows.map(map), last: rows.length < limit ? null : rows[rows.length - 1]!.rowid };
}

/** A community as archive items name it: columns to select (join `communities`). */
export const communityRef = { id: schema.communities.id, slug: schema.communities.slug, name: schema.communities.name };

export const iso = (date: Date | null) => (date ? date.toISOString() : null);

/**
 * A list section over one table: `whose(user)` selects the person's rows (also for the count);
 * `read` runs the page query with the condition it is given (theirs and after the keyset), ordered
 * by `rowid(table)` and limited to `limit`, selecting the rowid as `rowid`; `map` turns a row into
 * the archive's item.
 */
export function listSection<Row extends { rowid: number }>(spec: {
  name: string;
  table: SQLiteTable;
  whose: (user: UserRow) => SQL | undefined;
  read: (ctx: ExportContext, where: SQL | undefined, limit: number) => Promise<Row[]>;
  map: (row: Row, user: UserRow) => unknown;
}): ExportSection {
  return {
    name: spec.name,
    shape: "list",
    count: ({ env, user }) => getDb(env).$count(spec.table, spec.whose(user)),
    page: async (ctx, after, limit) =>
      toPage(await spec.read(ctx, and(spec.whose(ctx.user), afterRowid(spec.table, after)), limit), limit, (row) => spec.map(row, ctx.user)),
  };
}
