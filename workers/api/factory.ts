// Shared pieces of every API sub-app: the Hono env type, a router whose validation failures
// answer API.md's envelope, and the session user on the context.
import { OpenAPIHono, type Hook } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { Reader } from "../domain/auth/reader";
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
    /** who is asking: resolved lazily, or inside a route's first batch (domain/auth/reader.ts) */
    reader: Reader;
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

export const currentUser = (c: AppContext): Promise<SessionUser | null> => c.get("reader").user();

export async function requireUser(c: AppContext): Promise<SessionUser> {
  const user = await currentUser(c);
  if (!user) throw unauthenticated();
  return user;
}
