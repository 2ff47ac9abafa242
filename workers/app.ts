import { createRequestHandler, RouterContextProvider } from "react-router";
import { cloudflareContext } from "../app/context";
import { createWorkerApp } from "./server";
import { runQueue, runScheduled } from "./domain/jobs";

const requestHandler = createRequestHandler(
  () => import("virtual:react-router/server-build"),
  import.meta.env.MODE,
);

const app = createWorkerApp(async (c) => {
  const context = new RouterContextProvider();
  const reader = c.get("reader");
  const user = await reader.user();
  context.set(cloudflareContext, { env: c.env, ctx: c.executionCtx, nonce: c.get("nonce"), reader, user });
  return requestHandler(c.req.raw, context);
});

export { ChatChannel } from "../durable-objects/chat-channel";
export { CommunityPresence } from "../durable-objects/community-presence";

export default {
  fetch: app.fetch,
  queue: runQueue,
  scheduled: runScheduled,
} satisfies ExportedHandler<Env>;
