// Shared pieces of every API sub-app: the Hono env type, a router whose validation failures
// answer API.md's envelope, and the session user on the context.
import { OpenAPIHono, type Hook } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { Reader, SessionUser } from "../domain/auth/reader";
import { requireReaderUser } from "../domain/access";
import { badRequest } from "../lib/errors";

export type { SessionUser };

export type AppEnv = {
  Bindings: Env;
  Variables: {
    /** who is asking: resolved lazily, or inside a route's first batch (domain/auth/reader.ts) */
    reader: Reader;
    nonce: string;
  };
};

export type AppContext = Context<AppEnv>;

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

// zod issues → `issues: [ApiIssue]`; thrown so the one onError writes the envelope
const defaultHook: Hook<unknown, AppEnv, string, unknown> = (result) => {
  if (!result.success) {
    throw badRequest("The request is not valid.", {
      issues: result.error.issues.map((issue) => toApiIssue(issue as unknown as ZodIssueLike)),
    });
  }
};

export const createRouter = () => new OpenAPIHono<AppEnv>({ defaultHook });

export const currentUser = (c: AppContext): Promise<SessionUser | null> => c.get("reader").user();

export const requireUser = (c: AppContext): Promise<SessionUser> => requireReaderUser(c.get("reader"));
