// Shared pieces of every API sub-app: the Hono env type, a router whose validation failures
// answer API.md's envelope, and the session user on the context.
import { OpenAPIHono, type Hook } from "@hono/zod-openapi";
import type { Context } from "hono";
import { badRequest, unauthenticated } from "../lib/errors";

export type SessionUser = {
  id: string;
  email: string;
  name: string;
  locale: string;
  timezone: string;
  emailVerifiedAt: Date | null;
};

export type AppEnv = {
  Bindings: Env;
  Variables: {
    user: SessionUser | null;
    sessionId: string | null;
    nonce: string;
  };
};

export type AppContext = Context<AppEnv>;

// zod issues → `issues: [{ path, message }]`; thrown so the one onError writes the envelope
const defaultHook: Hook<unknown, AppEnv, string, unknown> = (result) => {
  if (!result.success) {
    throw badRequest("The request is not valid.", {
      issues: result.error.issues.map((issue) => ({
        path: issue.path.map(String).join("."),
        message: issue.message,
      })),
    });
  }
};

export const createRouter = () => new OpenAPIHono<AppEnv>({ defaultHook });

export function requireUser(c: AppContext): SessionUser {
  const user = c.get("user");
  if (!user) throw unauthenticated();
  return user;
}
