// Test entry: the same Worker without the React Router fallthrough, whose server build exists
// only under the React Router Vite plugin.
import { createWorkerApp } from "./server";
import { runQueue, runScheduled } from "./domain/jobs";

const app = createWorkerApp();

export { ChatChannel } from "../durable-objects/chat-channel";
export { CommunityPresence } from "../durable-objects/community-presence";

export default {
  fetch: app.fetch,
  queue: runQueue,
  scheduled: runScheduled,
} satisfies ExportedHandler<Env>;
