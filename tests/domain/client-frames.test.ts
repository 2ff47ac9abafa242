// The chat wire's client frames (durable-objects/protocol.ts): the hand-checked `seen` fast path
// must accept and refuse exactly what the zod schema does.
import { describe, expect, it } from "vitest";
import { ClientFrame, parseClientFrame } from "../../durable-objects/protocol";

describe("parseClientFrame", () => {
  it("answers every seen frame, good or bad, as the ClientFrame schema does", () => {
    const inputs = [
      { type: "seen", rev: 0 },
      { type: "seen", rev: 42 },
      { type: "seen", rev: 42, extra: "dropped" },
      { type: "seen", rev: -1 },
      { type: "seen", rev: 1.5 },
      { type: "seen", rev: "7" },
      { type: "seen", rev: Number.MAX_SAFE_INTEGER },
      { type: "seen", rev: 2 ** 60 },
      { type: "seen", rev: null },
      { type: "seen" },
    ];
    for (const input of inputs) {
      const fast = parseClientFrame(JSON.stringify(input));
      const schema = ClientFrame.safeParse(JSON.parse(JSON.stringify(input)));
      expect(fast.ok, JSON.stringify(input)).toBe(schema.success);
      if (fast.ok && schema.success) expect(fast.frame).toEqual(schema.data);
    }
  });

  it("still refuses what is not JSON and parses the other frames by the schema", () => {
    expect(parseClientFrame("{oops")).toEqual({ ok: false, message: "A frame must be JSON." });
    expect(parseClientFrame(JSON.stringify({ type: "read", seq: 3 }))).toEqual({ ok: true, frame: { type: "read", seq: 3 } });
    expect(parseClientFrame(JSON.stringify({ type: "nope" })).ok).toBe(false);
  });
});
