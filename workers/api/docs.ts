import { createRoute, z } from "@hono/zod-openapi";
import { createRouter } from "./factory";

export const docs = createRouter();

const Health = z.object({ ok: z.boolean(), time: z.string() }).openapi("Health");

docs.openapi(
  createRoute({
    method: "get",
    path: "/health",
    tags: ["meta"],
    summary: "Liveness check",
    responses: { 200: { description: "The Worker answers", content: { "application/json": { schema: Health } } } },
  }),
  (c) => c.json({ ok: true, time: new Date().toISOString() }, 200),
);
