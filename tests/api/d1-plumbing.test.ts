// The small pieces every D1 write and read leans on: telling a unique index's refusal from other
// failures (the loser of a race gets a 409, not a 500), and cutting id lists under D1's 100
// bound parameters.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { getDb, schema } from "../../workers/db/client";
import { isUniqueViolation } from "../../workers/db/unique-violation";
import { chunk } from "../../workers/lib/chunk";
import { newId } from "../../workers/lib/ids";
import { createUser } from "../helpers";

const failure = (run: () => Promise<unknown>) => run().then(() => new Error("did not fail"), (err: unknown) => err);

describe("isUniqueViolation", () => {
  it("recognises D1's refusal of a second user with the same email, by the column it names", async () => {
    const taken = await createUser();
    const db = getDb(env);
    const row = { id: newId("usr"), email: taken.email, ...schema.userName("Twin"), passwordHash: "x" };
    const single = await failure(() => db.insert(schema.users).values(row));
    const inBatch = await failure(() => db.batch([db.insert(schema.users).values(row)]));
    for (const err of [single, inBatch]) {
      expect(isUniqueViolation(err)).toBe(true);
      expect(isUniqueViolation(err, "users.email")).toBe(true);
      expect(isUniqueViolation(err, "users.id")).toBe(false);
    }
  });

  it("names every column of a composite key", async () => {
    const err = new Error("D1_ERROR: UNIQUE constraint failed: bans.community_id, bans.user_id: SQLITE_CONSTRAINT");
    expect(isUniqueViolation(new Error("Failed query", { cause: err }), "bans.user_id")).toBe(true);
    expect(isUniqueViolation(err, "bans.community_id")).toBe(true);
  });

  it("is false for other failures and for things that are not errors", async () => {
    const db = getDb(env);
    const orphan = await failure(() =>
      db.insert(schema.sessions).values({ id: newId("ses"), userId: "usr_nobody", expiresAt: new Date(Date.now() + 60_000) }),
    );
    expect(String((orphan as Error).cause)).toMatch(/FOREIGN KEY constraint failed/i);
    expect(isUniqueViolation(orphan)).toBe(false);
    expect(isUniqueViolation("UNIQUE constraint failed: users.email")).toBe(false);
    expect(isUniqueViolation(null)).toBe(false);
  });
});

describe("chunk", () => {
  it("cuts a list into parts of at most the size, in order, the last one shorter", () => {
    expect(chunk([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
    expect(chunk(["a", "b"], 90)).toEqual([["a", "b"]]);
    expect(chunk([], 3)).toEqual([]);
  });

  it("refuses a size that would never move", () => {
    expect(() => chunk([1], 0)).toThrow(RangeError);
  });
});
