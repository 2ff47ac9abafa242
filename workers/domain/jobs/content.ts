// Consumer of the content queue (binding CONTENT_QUEUE): the queued half of publish.ts. Each
// message does a bounded slice of work and, if there is more, sends the job that carries on before
// it is acknowledged — so a failure anywhere retries the slice (idempotent) and never loses the rest.
import { contentJobSchema, runContentJob, type ContentJob } from "../publish";

export function parseContentJob(body: unknown): ContentJob | null {
  const parsed = contentJobSchema.safeParse(body);
  return parsed.success ? parsed.data : null;
}

export async function runContentBatch(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  // one at a time: each message already uses up to ~130 of the invocation's 1,000 D1 queries
  for (const message of batch.messages) {
    const job = parseContentJob(message.body);
    if (!job) {
      console.error(JSON.stringify({ at: "content-queue", error: "unreadable message", id: message.id }));
      message.ack();
      continue;
    }
    try {
      const next = await runContentJob(env, job);
      if (next) await env.CONTENT_QUEUE.send(next);
      message.ack();
    } catch (error) {
      console.error(JSON.stringify({ at: "content-queue", job: job.job, postId: job.postId, error: String(error) }));
      message.retry();
    }
  }
}
