// Scheduled and queued work. Each handler in workers/app.ts is one line into here.
import { drainOutbox, sendOutboxBatch } from "../../mail/outbox";
import { purgeIdempotencyKeys } from "../idempotency";
import { parseContentJob, runContentBatch } from "./content";
import { continueTextBackfill } from "./text-backfill";

export async function runScheduled(_controller: ScheduledController, env: Env) {
  // safety net: mail whose queue message was lost is sent by the cron
  await drainOutbox(env);
  // until its marker says done: stored text brought under the text rules, a bounded step a tick
  await continueTextBackfill(env);
  // Idempotency-Keys are remembered 24 h (ADR 012)
  await purgeIdempotencyKeys(env);
}

// A batch comes from one queue. It is told apart by what its messages hold, not by the queue's
// name, which an operator may change in wrangler.toml.
export async function runQueue(batch: MessageBatch<unknown>, env: Env) {
  if (batch.messages.some((m) => parseContentJob(m.body) !== null)) return runContentBatch(batch, env);
  await sendOutboxBatch(batch, env);
}
