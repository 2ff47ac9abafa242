// Statement templates (workers/db/templates.ts): the SQL is built once per shape, the values are
// bound per call, and rows come back mapped as drizzle maps them. And the Reader the templates name.
import { env } from "cloudflare:workers";
import { eq, sql } from "drizzle-orm";
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
});

describe("a reader made from a known user id (queue consumers, tests)", () => {
  it("gives that user, and nobody for a signed-out one", async () => {
    const someone = await createUser();
    expect((await Reader.of(env, someone.id).user())?.email).toBe(someone.email);
    expect(await Reader.of(env, null).user()).toBeNull();
    expect(Reader.of(env, someone.id).cacheKey).not.toBe(Reader.of(env, null).cacheKey);
  });
});
