// Request bodies read with a byte counter, so a body past its limit is refused while it arrives,
// not after it has been buffered whole. Content-Length cannot be trusted for this: a chunked
// body has none, and a client may send one that understates the body.
import { DomainError } from "./errors";

/** 413 `too_large` with `maxBytes` (the API.md envelope). */
export const bodyTooLarge = (maxBytes: number) =>
  new DomainError(413, "too_large", `The body is larger than ${maxBytes.toLocaleString("en")} bytes.`, { maxBytes });

/** A body behind a byte counter: its stream, and whether the counter cut it off. */
export type LimitedBody = { stream: ReadableStream<Uint8Array>; exceeded: () => boolean };

/**
 * `body` passed through a byte counter: the returned stream carries the same bytes and errors with
 * bodyTooLarge(maxBytes) as soon as more than `maxBytes` bytes have come through, cancelling
 * `body` so the rest is never read; `exceeded()` then answers true. A consumer that parses the
 * stream (Request.formData()) may reject with its own error rather than the stream's, so it asks
 * `exceeded()` to tell a body over the limit from a malformed one.
 */
export function limitedBody(body: ReadableStream<Uint8Array>, maxBytes: number): LimitedBody {
  let seen = 0;
  let over = false;
  const stream = body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        seen += chunk.byteLength;
        if (seen > maxBytes) {
          over = true;
          controller.error(bodyTooLarge(maxBytes));
        } else controller.enqueue(chunk);
      },
    }),
  );
  return { stream, exceeded: () => over };
}

/** limitedBody's stream alone, for callers that read it whole (readWithin). */
export const limitedStream = (body: ReadableStream<Uint8Array>, maxBytes: number): ReadableStream<Uint8Array> =>
  limitedBody(body, maxBytes).stream;

/**
 * All of `body` as bytes, counted as they arrive and stopped at the first chunk past `maxBytes`
 * (limitedStream: the rest is never read). A null body is empty. Throws bodyTooLarge (413) past
 * the limit; a stream that fails otherwise rethrows its error.
 */
export async function readWithin(body: ReadableStream<Uint8Array> | null, maxBytes: number): Promise<Uint8Array<ArrayBuffer>> {
  if (!body) return new Uint8Array();
  return new Uint8Array(await new Response(limitedStream(body, maxBytes)).arrayBuffer());
}
