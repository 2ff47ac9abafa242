// Small builders for createRoute(): a JSON response and a required JSON request body.
import type { z } from "@hono/zod-openapi";

export const jsonResponse = <T extends z.ZodTypeAny>(schema: T, description: string) => ({
  description,
  content: { "application/json": { schema } },
});

// required: the validator then runs even when the body is missing, so that is a 400 too
export const jsonBody = <T extends z.ZodTypeAny>(schema: T) => ({
  body: { required: true, content: { "application/json": { schema } } },
});

// optional: a request without a body validates as {} (the handler applies the defaults)
export const optionalJsonBody = <T extends z.ZodTypeAny>(schema: T) => ({
  body: { required: false, content: { "application/json": { schema } } },
});
