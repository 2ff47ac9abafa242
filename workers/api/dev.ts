// Developer-only routes. They answer 404 unless DEV_MODE is "true", which production never sets,
// and the request comes from this machine (lib/local-request.ts): a dev server reachable from the
// network, or a deployment with DEV_MODE set by mistake, still does not show anyone's mail.
import { createRoute, z } from "@hono/zod-openapi";
import { createMiddleware } from "hono/factory";
import { notFound } from "../lib/errors";
import { isLocalRequest } from "../lib/local-request";
import { latestMails } from "../mail/preview";
import { errorResponses, IsoDate } from "../domain/schemas/common";
import { Email } from "../domain/schemas/user";
import { createRouter, type AppEnv } from "./factory";

export const dev = createRouter();

const devOnly = createMiddleware<AppEnv>(async (c, next) => {
  if (c.env.DEV_MODE !== "true" || !isLocalRequest(c.req.raw)) throw notFound("No such API route.");
  await next();
});

const OutboxMail = z
  .object({
    id: z.string(),
    to: z.string(),
    kind: z.string(),
    subject: z.string(),
    text: z.string(),
    createdAt: IsoDate,
    sentAt: IsoDate.nullable(),
  })
  .openapi("OutboxMail");

dev.openapi(
  createRoute({
    method: "get",
    path: "/dev/outbox",
    tags: ["dev"],
    summary: "The latest 50 mails in the outbox, newest first (DEV_MODE only, and only to localhost)",
    middleware: [devOnly] as const,
    request: { query: z.object({ to: Email.optional() }) },
    responses: {
      200: { description: "Mails", content: { "application/json": { schema: z.object({ items: z.array(OutboxMail) }) } } },
      ...errorResponses(400, 404),
    },
  }),
  async (c) => c.json({ items: await latestMails(c.env, c.req.valid("query").to) }, 200),
);
