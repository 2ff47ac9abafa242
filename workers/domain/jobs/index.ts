// Scheduled and queued work. Each handler in workers/app.ts is one line into here.
import { drainOutbox, sendOutboxBatch } from "../../mail/outbox";

export async function runScheduled(_controller: ScheduledController, env: Env) {
  // safety net: mail whose queue message was lost is sent by the cron
  await drainOutbox(env);
}

export async function runQueue(batch: MessageBatch<unknown>, env: Env) {
  await sendOutboxBatch(batch, env);
}
