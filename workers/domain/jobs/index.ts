// Scheduled and queued work. Each handler in workers/app.ts is one line into here.
import { purgeExpiredExports } from "../data-rights/export-jobs";
import { runEventBatch, sweepEvents } from "../events/process";
import { continueMentionBackfill } from "./mention-backfill";
import { continueGramsBackfill } from "../search/grams-backfill";
import { purgeExpired } from "./purge";
import { continueTextBackfill } from "./text-backfill";
import { settleEndedGrace } from "./billing-grace";

export async function runScheduled(_controller: ScheduledController, env: Env) {
  // the spine's safety net: events whose queue message was lost are sent again; done ones purged
  await sweepEvents(env);
  // expired sessions and tokens, old sent mail, ended rate counters, day-old Idempotency-Keys:
  // before the backfills, so its bounded share of the tick's queries is always there
  await purgeExpired(env);
  // until its marker says done: stored text brought under the text rules, a bounded step a tick
  const text = await continueTextBackfill(env);
  // then, until its marker says done: typed mentions of older posts and comments become tokens
  // (ADR 017) — after the text backfill, whose steps take most of a tick's 1,000 queries
  if (text.done) await continueMentionBackfill(env);
  // until done: the CJK grams of documents indexed before search_grams existed (ADR 016)
  await continueGramsBackfill(env);
  // export archives past their download window, and jobs abandoned unfinished (ADR 019)
  await purgeExpiredExports(env);
  // past_due subscriptions whose grace ended: down to what they still grant (ADR 037)
  await settleEndedGrace(env);
}

/**
 * The consumer of each queue, by the queue's name as wrangler.toml declares it
 * ([[queues.consumers]] queue = ...). A queue listed there but not here is a deployment mistake:
 * its batch is retried and logged, never guessed at from the messages' shape.
 */
export const queueConsumers: Record<string, (batch: MessageBatch<unknown>, env: Env) => Promise<void>> = {
  "enclave-events": runEventBatch,
};

export async function runQueue(batch: MessageBatch<unknown>, env: Env) {
  const consume = queueConsumers[batch.queue];
  if (!consume) {
    console.error(JSON.stringify({ at: "queue", error: "no consumer for this queue", queue: batch.queue }));
    batch.retryAll();
    return;
  }
  await consume(batch, env);
}
