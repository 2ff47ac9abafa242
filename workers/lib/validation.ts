// Input validation written once for both doors into a use case: the API's zod-openapi routes
// (api/factory.ts defaultHook, after api/middleware.ts jsonBody cleaned the body) and the pages'
// form actions (app/lib/use-case.server.ts `validInput`), so a form and an API call are cleaned by
// the same rules and refused with the same 400 `issues` (shared/API.md).
import type { z } from "@hono/zod-openapi";
import { badRequest, type DomainError } from "./errors";
import { cleanJson } from "./text";

/**
 * One entry of `issues` in a 400: where (`path`), what in English (`message`), and why in a form a
 * client can translate (`code`, with the bounds or format it names). `code` is zod's issue code
 * ("too_small", "invalid_format", ...) or, for a rule of ours, the reason it gives in
 * `params.reason` ("slug_reserved").
 */
export type ApiIssue = {
  path: string;
  message: string;
  code: string;
  origin?: string;
  minimum?: number;
  maximum?: number;
  format?: string;
};

type ZodIssueLike = { path: PropertyKey[]; message: string; code: string } & Record<string, unknown>;

const bound = (value: unknown) => (typeof value === "number" || typeof value === "bigint" ? Number(value) : undefined);

/** A zod issue as API.md's `issues` entry. */
export function toApiIssue(issue: ZodIssueLike): ApiIssue {
  const params = issue.params as { reason?: unknown } | undefined;
  const out: ApiIssue = {
    path: issue.path.map(String).join("."),
    message: issue.message,
    code: issue.code === "custom" && typeof params?.reason === "string" ? params.reason : issue.code,
  };
  if (typeof issue.origin === "string") out.origin = issue.origin;
  if (bound(issue.minimum) !== undefined) out.minimum = bound(issue.minimum);
  if (bound(issue.maximum) !== undefined) out.maximum = bound(issue.maximum);
  if (typeof issue.format === "string") out.format = issue.format;
  return out;
}

/** zod's issues as the 400 validation_failed DomainError the one error handler writes out. */
export function invalidInput(issues: readonly unknown[]): DomainError {
  return badRequest("The request is not valid.", { issues: issues.map((issue) => toApiIssue(issue as ZodIssueLike)) });
}

/**
 * A body as a route would see it: every string cleaned as the JSON middleware cleans request
 * bodies (lib/text.ts `cleanJson`: NFC, controls and bidi overrides dropped; secrets untouched),
 * then parsed by `schema` (its defaults and transforms applied). Throws 400 validation_failed with
 * `issues` (`invalidInput`) when the schema refuses it.
 */
export function parseInput<S extends z.ZodTypeAny>(schema: S, raw: unknown): z.output<S> {
  const result = schema.safeParse(cleanJson(raw));
  if (!result.success) throw invalidInput(result.error.issues);
  return result.data as z.output<S>;
}
