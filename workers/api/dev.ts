// Developer-only routes. They answer 404 unless DEV_MODE is "true", which production never sets.
import { createRoute, z } from "@hono/zod-openapi";
import { createMiddleware } from "hono/factory";
import { notFound } from "../lib/errors";
import { latestMails } from "../mail/preview";
import { errorResponses, IsoDate } from "./schemas/common";
import { Email } from "./schemas/user";
import { createRouter, type AppEnv } from "./factory";

export const dev = createRouter();

const devOnly = createMiddleware<AppEnv>(async (c, next) => {
  if (c.env.DEV_MODE !== "true") throw notFound("No such API route.");
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
    summary: "The latest 50 mails in the outbox, newest first (DEV_MODE only)",
    middleware: [devOnly] as const,
    request: { query: z.object({ to: Email.optional() }) },
    responses: {
      200: { description: "Mails", content: { "application/json": { schema: z.object({ items: z.array(OutboxMail) }) } } },
      ...errorResponses(400, 404),
    },
  }),
  async (c) => c.json({ items: await latestMails(c.env, c.req.valid("query").to) }, 200),
);
