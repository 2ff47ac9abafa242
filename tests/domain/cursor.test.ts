// Opaque list cursors (workers/lib/cursor.ts): any text round-trips, a foreign one is a 400.
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { decodeCursor, encodeCursor } from "../../workers/lib/cursor";
import { DomainError } from "../../workers/lib/errors";

describe("list cursors", () => {
  const shape = z.tuple([z.string(), z.string()]);

  it("round-trips a key holding CJK, emoji and Latin text, in URL-safe characters", () => {
    for (const key of [["Creator Lab 創作者實驗室", "com_1"], ["😀 club", "com_2"], ["Alpha", "com_3"]] as Array<[string, string]>) {
      const cursor = encodeCursor(key);
      expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(decodeCursor(cursor, shape)).toEqual(key);
    }
  });

  it("reads a cursor written before UTF-8 (ASCII JSON) the same, and refuses a made-up or broken one with 400", () => {
    const ascii = btoa(JSON.stringify(["Alpha", "com_3"])).replace(/=+$/, "");
    expect(decodeCursor(ascii, shape)).toEqual(["Alpha", "com_3"]);
    for (const bad of ["zzz", "%%%", btoa("\xff\xfe"), encodeCursor({ not: "a tuple" })]) {
      expect(() => decodeCursor(bad, shape)).toThrow(DomainError);
    }
  });
});
