// Statement templates (workers/db/templates.ts): the SQL is built once per shape, the values are
// bound per call, and rows come back mapped as drizzle maps them. And the Reader the templates name.
import { env } from "cloudflare:workers";
import { eq, sql } from "drizzle-orm";
import lock from "../../package-lock.json";
import pkg from "../../package.json";
import { describe, expect, it } from "vitest";
import { getDb, schema } from "../../workers/db/client";
import { runBound, template } from "../../workers/db/templates";
import { Reader } from "../../workers/domain/auth/reader";
import { createUser } from "../helpers";

const u = schema.users;
let builds = 0;
const userById = template((e: Env, _shape: "one") => {
  builds++;
  return getDb(e).select({ id: u.id, name: u.name, createdAt: u.createdAt }).from(u).where(eq(u.id, sql.placeholder("id")));
});

describe("statement templates", () => {
  it("build their SQL once and bind each call's own values, decoding columns as drizzle does", async () => {
    const [a, b] = [await createUser(), await createUser()];
    const [rowsA, rowsB] = await runBound(env, [userById(env, "one", { id: a.id }), userById(env, "one", { id: b.id })] as const);
    const [again] = await runBound(env, [userById(env, "one", { id: a.id })] as const);
    expect(rowsA.map((r) => r.id)).toEqual([a.id]);
    expect(rowsB.map((r) => r.id)).toEqual([b.id]);
    expect(again.map((r) => r.name)).toEqual([a.name]);
    expect(again[0].createdAt).toBeInstanceOf(Date);
    expect(builds).toBe(1);
  });

  it("refuse a call that leaves a placeholder without a value", async () => {
    expect(() => userById(env, "one", {})).toThrow(/placeholder/i);
  });

  it("refuse at their first build a value that is neither a placeholder nor a declared constant", async () => {
    // the email would be baked into the cached SQL and every later call would look up this one
    const byEmail = template((e: Env, _shape: "one") => getDb(e).select({ id: u.id }).from(u).where(eq(u.email, "first@example.com")));
    expect(() => byEmail(env, "one", {})).toThrow(/parameter 1 is the value "first@example.com", neither a placeholder nor a declared constant/);
  });

  it("take a declared constant and still bind the placeholders around it", async () => {
    const someone = await createUser();
    const oneById = template((e: Env, _shape: "one") => getDb(e).select({ id: u.id }).from(u).where(eq(u.id, sql.placeholder("id"))).limit(1), {
      constants: [1],
    });
    const [rows] = await runBound(env, [oneById(env, "one", { id: someone.id })] as const);
    expect(rows).toEqual([{ id: someone.id }]);
  });

  it("refuse at their first build two result columns of one name, which a D1 batch row would merge", async () => {
    const s = schema.sessions;
    const withSession = template((e: Env, _shape: "one") =>
      getDb(e).select({ user: u.id, session: s.id }).from(u).innerJoin(s, eq(s.userId, u.id)).where(eq(u.id, sql.placeholder("id"))),
    );
    expect(() => withSession(env, "one", { id: "usr_x" })).toThrow(/two result columns are named "id"/);
    const renamed = template((e: Env, _shape: "one") =>
      getDb(e)
        .select({ user: u.id, session: sql<string>`${s.id}`.as("session_id") })
        .from(u)
        .innerJoin(s, eq(s.userId, u.id))
        .where(eq(u.id, sql.placeholder("id"))),
    );
    const someone = await createUser();
    const [rows] = await runBound(env, [renamed(env, "one", { id: someone.id })] as const);
    expect(rows).toHaveLength(1);
    expect(rows[0].user).toBe(someone.id);
    expect(rows[0].session).toMatch(/^[0-9a-f]{64}$/);
  });

  it("lean on drizzle internals (db/drizzle-adapter.ts) only at the exact version package.json pins and the lock installs", () => {
    const pinned = pkg.dependencies["drizzle-orm"];
    expect(pinned).toMatch(/^\d+\.\d+\.\d+$/);
    expect(pkg.devDependencies["drizzle-kit"]).toMatch(/^\d+\.\d+\.\d+$/);
    expect(lock.packages["node_modules/drizzle-orm"].version).toBe(pinned);
    expect(lock.packages[""].dependencies["drizzle-orm"]).toBe(pinned);
  });
});

describe("a reader made from a known user id (queue consumers, tests)", () => {
  it("gives that user, and nobody for a signed-out one", async () => {
    const someone = await createUser();
    expect((await Reader.of(env, someone.id).user())?.email).toBe(someone.email);
    expect(await Reader.of(env, null).user()).toBeNull();
    expect(Reader.of(env, someone.id).cacheKey).not.toBe(Reader.of(env, null).cacheKey);
  });
});
