// Statements whose SQL text is generated once per isolate (ADR 010). A drizzle query builder turns
// itself into SQL on every run; for the few statements every feed read runs, that costs a third of
// a D1 round trip. A template is such a query written with `sql.placeholder(...)` where a request's
// values go, built once per shape (a key naming what changes the SQL: signed in or not, first page
// or not), and bound to each request's values.
//
// Every value that differs between requests must be a placeholder: a plain value is baked into the
// cached SQL's parameters by the first request that builds it.
import { fillPlaceholders } from "drizzle-orm";

/** What a drizzle query builder gives after `.prepare()` that a template keeps. */
type Prepared = { getQuery(): { sql: string; params: unknown[] }; mapAllResult(result: unknown, isFromBatch?: boolean): unknown };
type Preparable<R> = { prepare(): Prepared; execute(): Promise<R> };

/** One statement bound to a request's values, and how to read its rows. */
export type Bound<R> = { statement: D1PreparedStatement; read(result: D1Result): R };

type Built = { sql: string; params: unknown[]; prepared: Prepared };

export function template<S extends string, R>(build: (env: Env, shape: S) => Preparable<R>) {
  const built = new Map<S, Built>();
  return (env: Env, shape: S, values: Record<string, unknown>): Bound<R> => {
    let entry = built.get(shape);
    if (!entry) {
      const prepared = build(env, shape).prepare();
      const query = prepared.getQuery();
      entry = { sql: query.sql, params: query.params, prepared };
      built.set(shape, entry);
    }
    const { sql, params, prepared } = entry;
    return {
      statement: env.DB.prepare(sql).bind(...fillPlaceholders(params, values)),
      // a batch result keeps each row keyed by column name; drizzle maps it as it would its own batch
      read: (result) => prepared.mapAllResult(result, true) as R,
    };
  };
}

export type BoundResults<T extends readonly Bound<unknown>[]> = { -readonly [K in keyof T]: T[K] extends Bound<infer R> ? R : never };

/** Bound statements as one D1 batch: one round trip, atomic. */
export async function runBound<T extends readonly Bound<unknown>[]>(env: Env, items: T): Promise<BoundResults<T>> {
  if (items.length === 0) return [] as unknown as BoundResults<T>;
  const results = await env.DB.batch(items.map((item) => item.statement));
  return items.map((item, i) => item.read(results[i])) as unknown as BoundResults<T>;
}
