// The one place that leans on drizzle beyond its documented query API: a prepared query's SQL
// and parameters, its selected fields, binding placeholder values (fillPlaceholders) and mapping
// a D1 batch result the way drizzle's own batch does (mapAllResult). These are drizzle-orm
// 0.45.4 internals, which is why package.json pins that exact version and
// tests/api/templates.test.ts checks them against it: an upgrade that moves them fails there.
import { Column, fillPlaceholders, is, Placeholder, SQL } from "drizzle-orm";
import { SQLiteSyncDialect } from "drizzle-orm/sqlite-core";

type Prepared = {
  getQuery(): { sql: string; params: unknown[] };
  mapAllResult(result: unknown, isFromBatch?: boolean): unknown;
  /** the selected (or returned) fields in column order; absent for statements that return nothing */
  fields?: Array<{ path: string[]; field: unknown }>;
};

/** A drizzle D1 query builder (select, or insert/update/delete with returning). */
export type Preparable<R> = { prepare(): Prepared; execute(): Promise<R> };

/** A statement turned into SQL once: its text, parameters (values or placeholders), result column names. */
export type Compiled<R> = {
  sql: string;
  params: readonly unknown[];
  /** each parameter's placeholder name, or null for a value written into the statement */
  placeholders: readonly (string | null)[];
  /** the result's column names as D1 keys a row by them, in select order */
  columns: readonly string[];
  /** the parameters with `values` put in for placeholders; throws if one has no value */
  bind(values: Record<string, unknown>): unknown[];
  /** rows of a D1 batch result mapped as drizzle maps them (dates, JSON, booleans decoded) */
  read(result: D1Result): R;
};

const dialect = new SQLiteSyncDialect();

function placeholderName(param: unknown): string | null {
  if (is(param, Placeholder)) return param.name;
  // a placeholder compared with a column arrives wrapped with the column's encoder
  if (param && typeof param === "object" && "value" in param && is(param.value, Placeholder)) return param.value.name;
  return null;
}

/**
 * The name SQLite gives a result column: a table column's own name (drizzle selects
 * "table"."column" without an alias), an alias given with `.as()`, else the expression's text.
 */
function columnName(field: unknown): string {
  if (is(field, Column)) return field.name;
  if (is(field, SQL.Aliased)) return field.fieldAlias;
  if (is(field, SQL)) return dialect.sqlToQuery(field).sql;
  return String(field);
}

/** Compile `builder` once. */
export function compile<R>(builder: Preparable<R>): Compiled<R> {
  const prepared = builder.prepare();
  const { sql, params } = prepared.getQuery();
  return {
    sql,
    params,
    placeholders: params.map(placeholderName),
    columns: (prepared.fields ?? []).map((f) => columnName(f.field)),
    bind: (values) => fillPlaceholders(params, values),
    read: (result) => prepared.mapAllResult(result, true) as R,
  };
}
