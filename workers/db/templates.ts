// Statements whose SQL text is generated once per isolate (ADR 010). A drizzle query builder turns
// itself into SQL on every run; for the few statements every feed read runs, that costs a third of
// a D1 round trip. A template is such a query written with `sql.placeholder(...)` where a request's
// values go, built once per shape (a key naming what changes the SQL: signed in or not, first page
// or not), and bound to each request's values.
//
// Every value that differs between requests must be a placeholder: a plain value is baked into the
// cached SQL's parameters by the first request that builds it, and every later request would run
// with it. So the first build of each shape checks its parameters: each is a placeholder or one of
// the template's declared `constants`, or the build throws (a wrong answer for someone else's
// request is worse than a failed one). It also checks that no two result columns share a name:
// D1 keys a batch row by column name, so a second `id` would silently overwrite the first.
import { compile, type Compiled, type Preparable } from "./drizzle-adapter";

/** One statement bound to a request's values, and how to read its rows. */
export type Bound<R> = { statement: D1PreparedStatement; read(result: D1Result): R };

/** What a template may write into its SQL besides placeholders: values that never vary per request. */
export type TemplateOptions = { constants?: readonly unknown[] };

/**
 * A statement template: `build(env, shape)` runs once per shape per isolate, then each call binds
 * `values` (placeholder name → value). Throws at the first build of a shape whose parameters hold
 * an undeclared value or whose result repeats a column name, and at a call missing a placeholder's value.
 */
export function template<S extends string, R>(build: (env: Env, shape: S) => Preparable<R>, options: TemplateOptions = {}) {
  const built = new Map<S, Compiled<R>>();
  return (env: Env, shape: S, values: Record<string, unknown>): Bound<R> => {
    let compiled = built.get(shape);
    if (!compiled) {
      compiled = checked(compile(build(env, shape)), shape, options.constants ?? []);
      built.set(shape, compiled);
    }
    return { statement: env.DB.prepare(compiled.sql).bind(...compiled.bind(values)), read: compiled.read };
  };
}

function checked<R>(compiled: Compiled<R>, shape: string, constants: readonly unknown[]): Compiled<R> {
  compiled.params.forEach((param, i) => {
    if (compiled.placeholders[i] === null && !constants.includes(param)) {
      throw new Error(`template "${shape}": parameter ${i + 1} is the value ${JSON.stringify(param)}, neither a placeholder nor a declared constant`);
    }
  });
  const seen = new Set<string>();
  for (const column of compiled.columns) {
    if (seen.has(column)) throw new Error(`template "${shape}": two result columns are named "${column}"; alias one with .as()`);
    seen.add(column);
  }
  return compiled;
}

export type BoundResults<T extends readonly Bound<unknown>[]> = { -readonly [K in keyof T]: T[K] extends Bound<infer R> ? R : never };

/** Bound statements as one D1 batch: one round trip, atomic. */
export async function runBound<T extends readonly Bound<unknown>[]>(env: Env, items: T): Promise<BoundResults<T>> {
  if (items.length === 0) return [] as unknown as BoundResults<T>;
  const results = await env.DB.batch(items.map((item) => item.statement));
  return items.map((item, i) => item.read(results[i])) as unknown as BoundResults<T>;
}
