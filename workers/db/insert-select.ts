// One row written by INSERT ... SELECT ... WHERE, so that a statement of a D1 batch can depend on
// the state the batch has reached — D1 has no interactive transaction, and a batch runs its
// statements one after another with nothing in between.
import { getTableColumns, is, sql, SQL, type Column } from "drizzle-orm";
import type { SQLiteInsertValue, SQLiteTable } from "drizzle-orm/sqlite-core";

/**
 * True right after a statement of the batch that inserted, updated or deleted at least one row
 * (SQLite's changes(): set when a statement completes, so it reads the statement before this
 * one). An insert guarded by it counts too, so guarded inserts chain.
 */
export const changedJustBefore = sql`changes() > 0`;

function valueOf(column: Column, given: unknown): SQL {
  if (given !== undefined) return is(given, SQL) ? given : sql`${sql.param(given, column)}`;
  // the defaults drizzle applies to a plain insert (sqlite-core dialect buildInsertQuery)
  const fallback = column.default ?? column.defaultFn?.() ?? column.onUpdateFn?.();
  if (fallback === undefined || fallback === null) return sql`null`;
  return is(fallback, SQL) ? fallback : sql`${sql.param(fallback, column)}`;
}

/**
 * `select <row> where <condition>`, for `db.insert(table).select(...)`: the row's values in the
 * table's column order (drizzle's insert-select lists every column), encoded as a plain insert
 * encodes them (timestamps in ms, json as text; a value may be SQL, as in a plain insert),
 * missing ones filled with the column defaults.
 * Tables with generated columns are not supported (none exist). Throws nothing.
 */
export function rowWhere<T extends SQLiteTable>(table: T, row: SQLiteInsertValue<T>, condition: SQL): SQL {
  const given = row as Record<string, unknown>;
  const values = Object.entries(getTableColumns(table)).map(([key, column]) => valueOf(column, given[key]));
  return sql`select ${sql.join(values, sql`, `)} where ${condition}`;
}
