// Schemas every resource shares: the error envelope, list paging, and cursors.
import { z } from "@hono/zod-openapi";
import { cleanName, nameProblem, nameProblemMessage, titleProblem, titleProblemMessage, titleText } from "../../lib/text";

/** One entry of a 400's `issues` (workers/lib/validation.ts toApiIssue). */
export const IssueSchema = z
  .object({
    path: z.string().openapi({ example: "title" }),
    message: z.string().openapi({ description: "English, for developers", example: "Too small: expected string to have >=1 characters" }),
    code: z.string().openapi({
      description: "Why, for a client to translate: zod's issue code (too_small, too_big, invalid_format, invalid_type, invalid_value) or the reason of one of our rules (slug_reserved, time_zone, name_invisible, name_control_chars, name_bidi_control, ...)",
      example: "too_small",
    }),
    origin: z.string().optional().openapi({ description: "what was measured: string, number, array", example: "string" }),
    minimum: z.number().optional(),
    maximum: z.number().optional(),
    format: z.string().optional().openapi({ example: "email" }),
  })
  .openapi("Issue");

export const ErrorSchema = z
  .object({
    error: z
      .object({ code: z.string(), message: z.string(), issues: z.array(IssueSchema).optional().openapi({ description: "with 400 validation_failed" }) })
      .catchall(z.unknown()),
  })
  .openapi("Error");

export const PageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20).openapi({ example: 20 }),
  cursor: z.string().max(500).optional(),
});

export const listOf = <T extends z.ZodTypeAny>(item: T) =>
  z.object({ items: z.array(item), nextCursor: z.string().nullable() });

/** Standard error responses for createRoute({ responses }). */
export const errorResponses = (...statuses: Array<400 | 401 | 403 | 404 | 409 | 413 | 415 | 422 | 429 | 502>) =>
  Object.fromEntries(
    statuses.map((s) => [s, { description: `Error ${s}`, content: { "application/json": { schema: ErrorSchema } } }]),
  ) as Record<number, { description: string; content: { "application/json": { schema: typeof ErrorSchema } } }>;

export { decodeCursor, encodeCursor } from "../../lib/cursor";

export const Id = z.string().min(1).max(100);
export const IsoDate = z.string().openapi({ format: "date-time", example: "2026-11-25T10:00:00.000Z" });

/**
 * The name of a person, community, space or tier (and of whatever gets a name later): refused
 * with 400 validation_failed and an issue `code` of name_control_chars, name_bidi_control or
 * name_invisible (lib/text.ts nameProblem; the first problem found, nothing after it), otherwise
 * stored as lib/text.ts cleanName writes it, 1..`max` UTF-16 units long after cleaning.
 */
export const NameField = (max: number) =>
  z
    .string()
    .superRefine((raw, ctx) => {
      const problem = nameProblem(raw);
      if (problem) ctx.addIssue({ code: "custom", message: nameProblemMessage[problem], params: { reason: problem }, continue: false });
    })
    .overwrite(cleanName)
    .min(1)
    .max(max)
    .openapi({
      // marks the field for the guard test that every `name` in a request body is a NameField
      "x-enclave-text": "name",
      description: `A name: at least one visible character, no control or bidi formatting characters; blanks collapsed, zero-width characters outside emoji and joining scripts removed; at most ${max} characters`,
    });

/**
 * The title of a post (and of whatever gets a title later): the name rule under title_ codes
 * (title_control_chars, title_bidi_control, title_invisible; lib/text.ts titleProblem), tabs and
 * line breaks read as blanks, stored as cleanName writes it, 1..`max` UTF-16 units after cleaning.
 */
export const TitleField = (max: number) =>
  z
    .string()
    .superRefine((raw, ctx) => {
      const problem = titleProblem(raw);
      if (problem) ctx.addIssue({ code: "custom", message: titleProblemMessage[problem], params: { reason: problem }, continue: false });
    })
    .overwrite((raw) => cleanName(titleText(raw)))
    .min(1)
    .max(max)
    .openapi({
      "x-enclave-text": "title",
      description: `A title: at least one visible character, no control or bidi formatting characters; blanks collapsed; at most ${max} characters`,
    });
