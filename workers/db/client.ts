import { getTableColumns, getTableName, sql, type InferSelectModel, type SQL, type Table } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import * as schema from "./schema";

const instances = new WeakMap<D1Database, ReturnType<typeof open>>();
const open = (d1: D1Database) => drizzle(d1, { schema });

/** The drizzle handle of a D1 binding, built once per binding (building it walks the schema). */
export function getDb(env: { DB: D1Database }) {
  let db = instances.get(env.DB);
  if (!db) instances.set(env.DB, (db = open(env.DB)));
  return db;
}

/**
 * A table's columns renamed `<prefix>_<column>`, decoded as the columns are. A D1 batch keys each
 * row by column name, so two tables in one statement that share a name (id, created_at) would
 * overwrite each other there. Only for tables that are always present in the row: drizzle turns a
 * left-joined table into null from its plain columns, not from renamed ones.
 */
export function batchColumns<T extends Table>(table: T, prefix: string): { [K in keyof InferSelectModel<T>]: SQL.Aliased<InferSelectModel<T>[K]> } {
  const key = `${prefix}:${getTableName(table)}`;
  let out = renamed.get(key);
  if (!out) {
    out = {};
    for (const [name, column] of Object.entries(getTableColumns(table))) {
      out[name] = sql`${column}`.mapWith(column).as(`${prefix}_${column.name}`);
    }
    renamed.set(key, out);
  }
  return out as { [K in keyof InferSelectModel<T>]: SQL.Aliased<InferSelectModel<T>[K]> };
}
const renamed = new Map<string, Record<string, SQL.Aliased>>();

export type Db = ReturnType<typeof getDb>;
export { schema };
