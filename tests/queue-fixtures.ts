// Consequences in tests (ADR 014): a write's domain event is run by the events queue a moment
// after the request. Tests drain the events table the way the consumer does instead of waiting
// for the local queue, and deliver messages to the Worker's queue handler as the platform would.
import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import worker from "../workers/api-entry";
import { runDueEvents } from "../workers/domain/events/process";

/** Run every due domain event, oldest first, until none is left; resolves to how many finished. */
export const drainEvents = (options: { now?: () => number } = {}) => runDueEvents(env, options);

/** Read until `ready` holds or fifteen seconds pass, and return the last read (a bounded poll). */
export async function eventually<T>(read: () => Promise<T>, ready: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const value = await read();
    if (ready(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Deliver `bodies` to the Worker's queue handler as one batch from `queue`, as the platform would. */
export async function deliverMessages(queue: string, bodies: unknown[]) {
  const batch = createMessageBatch<unknown>(
    queue,
    bodies.map((body, i) => ({ id: `delivery-${i}`, timestamp: new Date(), attempts: 1, body })),
  );
  await worker.queue(batch, env);
  return getQueueResult(batch, createExecutionContext());
}

/** Deliver domain event ids on the events queue. */
export const deliverEvents = (ids: string[]) => deliverMessages("enclave-events", ids.map((eventId) => ({ eventId })));
