// Shared pieces of every API sub-app: the Hono env type, a router whose validation failures
// answer API.md's envelope, and the session user on the context.
import { OpenAPIHono, type Hook } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { Reader, SessionUser } from "../domain/auth/reader";
import { requireReaderUser } from "../domain/access";
import { invalidInput } from "../lib/validation";
import { isPublicRoute } from "./public-routes";

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

// zod issues → `issues: [ApiIssue]`; thrown so the one onError writes the envelope. A signed-out
// caller of a route that needs a session hears 401 first, whatever the input's shape (as a valid
// body would): the session is checked before the input is judged.
const defaultHook: Hook<unknown, AppEnv, string, unknown> = async (result, c) => {
  if (!result.success) {
    if (!isPublicRoute(c.req.method, c.req.routePath)) await requireReaderUser(c.get("reader"));
    throw invalidInput(result.error.issues);
  }
};

export const createRouter = () => new OpenAPIHono<AppEnv>({ defaultHook });

export const currentUser = (c: AppContext): Promise<SessionUser | null> => c.get("reader").user();

export const requireUser = (c: AppContext): Promise<SessionUser> => requireReaderUser(c.get("reader"));
