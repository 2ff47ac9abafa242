// JSON bodies are refused at the size limit while they are read, not after (issue 10 §4): the
// body is counted as it arrives (lib/limited-body.ts), so a chunked body without Content-Length
// or one with an understated Content-Length is stopped at MAX_JSON_BYTES + 1 with 413 too_large.
import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { MAX_JSON_BYTES } from "../../workers/api/middleware";
import { limitedStream, readWithin } from "../../workers/lib/limited-body";
import { ORIGIN } from "../helpers";

// a public route with a body (signed out, a route that needs a session answers 401 before judging
// the body; the size limit is counted before either, on every route)
const PATH = "/api/v1/auth/login";
const encoder = new TextEncoder();

/** A JSON object of exactly `bytes` bytes in UTF-8 (`{"pad":"xxx…"}`), made of `unit` characters. */
function jsonOf(bytes: number, unit = "x") {
  const frame = '{"pad":""}'.length;
  const unitBytes = encoder.encode(unit).byteLength;
  const fill = unit.repeat(Math.floor((bytes - frame) / unitBytes));
  const text = `{"pad":"${fill}${"x".repeat(bytes - frame - fill.length * unitBytes)}"}`;
  expect(encoder.encode(text).byteLength).toBe(bytes);
  return text;
}

const post = (body: BodyInit, headers: Record<string, string> = {}) =>
  SELF.fetch(`${ORIGIN}${PATH}`, { method: "POST", headers: { Origin: ORIGIN, "Content-Type": "application/json", ...headers }, body });

async function expectTooLarge(res: Response) {
  expect(res.status).toBe(413);
  expect(await res.json()).toEqual({ error: { code: "too_large", message: expect.any(String), maxBytes: MAX_JSON_BYTES } });
}

/** A body stream of `chunk`-byte pieces, endless unless `total` is given; `pulled` counts what was read from it. */
function streamOf(chunkBytes: number, total = Number.POSITIVE_INFINITY) {
  const counter = { pulled: 0, cancelled: false };
  const piece = encoder.encode("x".repeat(chunkBytes));
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(encoder.encode('{"pad":"'));
    },
    pull(controller) {
      if (counter.pulled >= total) return controller.close();
      counter.pulled += piece.byteLength;
      controller.enqueue(piece);
    },
    cancel() {
      counter.cancelled = true;
    },
  });
  return { stream, counter };
}

describe("JSON body size, counted while read", () => {
  it("accepts a body of exactly MAX_JSON_BYTES (it reaches validation) and refuses one byte more with 413 too_large", async () => {
    const atLimit = await post(jsonOf(MAX_JSON_BYTES));
    expect(atLimit.status).toBe(400);
    expect(((await atLimit.json()) as { error: { code: string } }).error.code).toBe("validation_failed");
    await expectTooLarge(await post(jsonOf(MAX_JSON_BYTES + 1)));
  });

  it("counts bytes, not characters: a body of 2-byte 'é' under the limit in characters but over it in bytes is 413", async () => {
    const text = jsonOf(MAX_JSON_BYTES + 2, "é");
    expect(text.length).toBeLessThan(MAX_JSON_BYTES);
    await expectTooLarge(await post(text));
  });

  it("refuses a chunked body without Content-Length that never ends, once past the limit, and stops reading it", async () => {
    const { stream, counter } = streamOf(16 * 1024);
    const res = await post(stream);
    await expectTooLarge(res);
    // an endless body was answered at all, so reading stopped; what was pulled stays near the limit
    expect(counter.pulled).toBeLessThan(MAX_JSON_BYTES * 4);
  });

  it("refuses a body whose Content-Length understates it (says 100 bytes): the bytes are counted, not the header", async () => {
    const { stream, counter } = streamOf(16 * 1024, 2 * MAX_JSON_BYTES);
    await expectTooLarge(await post(stream, { "Content-Length": "100" }));
    expect(counter.pulled).toBeLessThan(2 * MAX_JSON_BYTES);
  });

  it("refuses an honest Content-Length past the limit before reading the body", async () => {
    const { stream, counter } = streamOf(16 * 1024, 2 * MAX_JSON_BYTES);
    const res = await post(stream, { "Content-Length": String(2 * MAX_JSON_BYTES + 8) });
    await expectTooLarge(res);
    expect(counter.pulled).toBeLessThan(2 * MAX_JSON_BYTES);
  });
});

describe("lib/limited-body.ts", () => {
  it("readWithin gives back every byte of a body within the limit, and a null body as empty", async () => {
    const { stream } = streamOf(1000, 5000);
    const bytes = await readWithin(stream, 5008);
    expect(bytes.byteLength).toBe(5008);
    expect(new TextDecoder().decode(bytes.slice(0, 9))).toBe('{"pad":"x');
    expect((await readWithin(null, 10)).byteLength).toBe(0);
  });

  it("limitedStream errors with 413 at the first chunk past the limit and cancels its source", async () => {
    const { stream, counter } = streamOf(1000);
    const reader = limitedStream(stream, 4500).getReader();
    let read = 0;
    const failure = await (async () => {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return null;
        read += value.byteLength;
      }
    })().catch((error: unknown) => error);
    expect(failure).toMatchObject({ status: 413, code: "too_large", extra: { maxBytes: 4500 } });
    expect(read).toBeLessThanOrEqual(4500);
    expect(counter.cancelled).toBe(true);
  });
});
