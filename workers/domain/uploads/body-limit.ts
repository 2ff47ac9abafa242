// The upload size limit for bodies that do not announce their length (chunked transfer, or a
// Content-Length that lies): the bytes are counted as they arrive and the stream stops at the
// limit, so an unbounded body is never buffered. The boundary's JSON limit (issue 10 §4) does the
// same in workers/lib/limited-body.ts; the two are to become one helper when both have landed.

/** A body that was cut off at `limit` bytes: `exceeded()` says whether that happened. */
export type LimitedBody = { stream: ReadableStream<Uint8Array>; exceeded: () => boolean };

/**
 * `body` passed through unchanged while at most `limit` bytes (octets) have gone by; the first
 * chunk that takes the total past `limit` errors the stream (so `Request.formData()` and friends
 * reject) and cancels the source, and `exceeded()` turns true, so the caller can answer 413.
 */
export function limitBody(body: ReadableStream<Uint8Array>, limit: number): LimitedBody {
  let seen = 0;
  let over = false;
  const counter = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      seen += chunk.byteLength;
      if (seen > limit) {
        over = true;
        controller.error(new RangeError(`body over ${limit} bytes`));
        return;
      }
      controller.enqueue(chunk);
    },
  });
  return { stream: body.pipeThrough(counter), exceeded: () => over };
}
