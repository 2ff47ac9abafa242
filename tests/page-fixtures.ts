// Page loaders and actions run in workerd with the context workers/app.ts builds (the request's
// one reader): the test Worker serves the API only, so the tests call the route modules directly.
import { env } from "cloudflare:workers";
import { RouterContextProvider } from "react-router";
import { cloudflareContext } from "../app/context";
import { Reader } from "../workers/domain/auth/reader";
import { ORIGIN, type TestUser } from "./helpers";

export type Action = (args: { request: Request; params: Record<string, string>; context: RouterContextProvider }) => Promise<unknown>;
export type Loader = Action;

/** The router context a request by `as` (null: signed out) gets from workers/app.ts. */
export async function pageContext(as: TestUser | null): Promise<RouterContextProvider> {
  const token = as?.cookie.split("=")[1];
  const reader = await Reader.fromToken(env, token);
  const context = new RouterContextProvider();
  context.set(cloudflareContext, { env, ctx: { waitUntil: () => {} }, nonce: "", reader, user: await reader.user() });
  return context;
}

/**
 * Runs a page's `action` on `fields` posted as an HTML form by `as` (null: signed out). A redirect
 * or error page the action throws is returned like an answer: a Response, or React Router's
 * `data()` (`{ type: "DataWithResponseInit", data, init }`).
 */
export async function postForm(action: Action, path: string, params: Record<string, string>, as: TestUser | null, fields: Record<string, string>) {
  const request = new Request(`${ORIGIN}${path}`, {
    method: "POST",
    // the session cookie a browser sends too: pages that reach a route in-process pass it on (ADR 039)
    headers: { Origin: ORIGIN, "Content-Type": "application/x-www-form-urlencoded", ...(as ? { Cookie: as.cookie } : {}) },
    body: new URLSearchParams(fields).toString(),
  });
  try {
    return await action({ request, params, context: await pageContext(as) });
  } catch (thrown) {
    return thrown;
  }
}

/** Runs a page's `loader` for a GET of `path` by `as`; a thrown error page is returned like an answer. */
export async function loadPage(loader: Loader, path: string, params: Record<string, string>, as: TestUser | null) {
  try {
    const request = new Request(`${ORIGIN}${path}`, { headers: as ? { Cookie: as.cookie } : {} });
    return await loader({ request, params, context: await pageContext(as) });
  } catch (thrown) {
    return thrown;
  }
}

/** The HTTP status of what a loader or action answered or threw. */
export const statusOf = (answer: unknown) =>
  answer instanceof Response ? answer.status : ((answer as { init?: { status?: number } } | null)?.init?.status ?? 200);
