// Request bodies read with a byte counter, so a body past its limit is refused while it arrives,
// not after it has been buffered whole. Content-Length cannot be trusted for this: a chunked
// body has none, and a client may send one that understates the body.
import { DomainError } from "./errors";

/** 413 `too_large` with `maxBytes` (the API.md envelope). */
export const bodyTooLarge = (maxBytes: number) =>
  new DomainError(413, "too_large", `The body is larger than ${maxBytes.toLocaleString("en")} bytes.`, { maxBytes });

/**
 * `body` passed through a byte counter: the returned stream carries the same bytes and errors with
 * bodyTooLarge(maxBytes) as soon as more than `maxBytes` bytes have come through, cancelling
 * `body` so the rest is never read. For callers that consume a body as a stream (a multipart
 * parser, a pipe into R2); readWithin collects one into memory.
 */
export function limitedStream(body: ReadableStream<Uint8Array>, maxBytes: number): ReadableStream<Uint8Array> {
  let seen = 0;
  return body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        seen += chunk.byteLength;
        if (seen > maxBytes) controller.error(bodyTooLarge(maxBytes));
        else controller.enqueue(chunk);
      },
    }),
  );
}

/**
 * All of `body` as bytes, counted as they arrive and stopped at the first chunk past `maxBytes`
 * (limitedStream: the rest is never read). A null body is empty. Throws bodyTooLarge (413) past
 * the limit; a stream that fails otherwise rethrows its error.
 */
export async function readWithin(body: ReadableStream<Uint8Array> | null, maxBytes: number): Promise<Uint8Array> {
  if (!body) return new Uint8Array();
  return new Uint8Array(await new Response(limitedStream(body, maxBytes)).arrayBuffer());
}
