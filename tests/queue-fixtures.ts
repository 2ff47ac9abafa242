// Queued work in tests (ADR 008): new-post notices reach the inbox through the content queue,
// which the local runtime delivers a moment after the request.
import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import worker from "../workers/api-entry";
import type { ContentJob } from "../workers/domain/publish";

/** Read until `ready` holds or fifteen seconds pass, and return the last read (a bounded poll). */
export async function eventually<T>(read: () => Promise<T>, ready: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const value = await read();
    if (ready(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Deliver `jobs` to the Worker's queue handler as one batch, as the platform would. */
export async function deliverContentJobs(jobs: ContentJob[]) {
  const batch = createMessageBatch<ContentJob>(
    "enclave-content",
    jobs.map((body, i) => ({ id: `delivery-${i}`, timestamp: new Date(), attempts: 1, body })),
  );
  await worker.queue(batch, env);
  return getQueueResult(batch, createExecutionContext());
}
