// The Worker's HTTP app: security headers, origin and body checks, the session, /api/v1, and the
// one onError that writes API.md's envelope. `fallback` is the React Router handler in the real
// Worker; the test entry (workers/api-entry.ts) builds the same app without it.
import { Hono, type Handler, type MiddlewareHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import { TrieRouter } from "hono/router/trie-router";
import { api } from "./api";
import type { AppEnv } from "./api/factory";
import { cleanInput, jsonBody, sameOrigin, session } from "./api/middleware";
import { DomainError, errorBody } from "./lib/errors";
import { randomToken } from "./lib/ids";
import { readWithin } from "./lib/limited-body";
import { stripePageOrigins } from "./billing/client";

const httpCodes: Record<number, string> = {
  400: "validation_failed",
  401: "unauthenticated",
  403: "forbidden",
  404: "not_found",
  405: "method_not_allowed",
  409: "conflict",
  413: "too_large",
  415: "unsupported_media_type",
  429: "rate_limited",
};

/** JSON and files: nothing in them may run, load or be framed. */
const API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/**
 * The pages from which a member goes to Stripe's checkout or portal (ADR 037): a form on them, or
 * a form action's redirect, may lead to those origins. `/c/:slug/billing` and `/c/:slug/pricing`,
 * with anything under them, and the account's Payments page `/settings/billing` (ADR 042); every
 * other page keeps `form-action 'self'`.
 */
export const BILLING_PAGE = /^\/(c\/[^/]+\/(billing|pricing)(\/|$)|settings\/billing\/?$)/;

const pageCsp = (nonce: string, formTargets: string[] = []) =>
  [
      "default-src 'self'",
      `script-src 'self' 'nonce-${nonce}'`,
      "style-src 'self' 'unsafe-inline'",
      "img-src 'self' data: blob:",
      "font-src 'self'",
      "connect-src 'self'",
      "object-src 'none'",
      "base-uri 'self'",
      ["form-action 'self'", ...formTargets].join(" "),
      "frame-ancestors 'none'",
    ].join("; ");

function securityHeaders(headers: Headers, csp: string) {
  headers.set("Content-Security-Policy", csp);
  headers.set("X-Content-Type-Options", "nosniff");
  headers.set("Referrer-Policy", "strict-origin-when-cross-origin");
  headers.set("X-Frame-Options", "DENY");
  headers.set("Permissions-Policy", "camera=(), microphone=(self), geolocation=()");
  headers.set("Cross-Origin-Opener-Policy", "same-origin");
}

const METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] as const;
let apiMethods: TrieRouter<string> | null = null;

/**
 * The methods the API answers on `path` ("/api/v1/posts/pst_1" → ["DELETE", "GET", "HEAD",
 * "OPTIONS", "PATCH"]), from the routes the sub-apps registered; [] when no route has that path.
 * HEAD comes with GET (Hono answers it from the GET handler) and OPTIONS with any. RFC 9110
 * §15.5.6: a 405 must list them in `Allow`.
 */
export function allowedMethods(path: string): string[] {
  if (!apiMethods) {
    const router = new TrieRouter<string>();
    for (const route of api.routes) if (route.method !== "ALL") router.add(route.method, route.path, route.method);
    apiMethods = router;
  }
  const router = apiMethods;
  const allowed = new Set(METHODS.filter((method) => router.match(method, path)[0].length > 0));
  if (allowed.size === 0) return [];
  if (allowed.has("GET")) allowed.add("HEAD");
  allowed.add("OPTIONS");
  return [...allowed].sort();
}

const PAGE_METHODS = "GET, HEAD, POST, OPTIONS";
const FORM_TYPES = new Set(["application/x-www-form-urlencoded", "multipart/form-data"]);
/**
 * The largest form a page takes (bytes): a post of 40,000 characters is at most ~480 KB
 * urlencoded (4 UTF-8 bytes each, percent-encoded); images go to /api/v1/uploads, not to pages.
 */
const MAX_PAGE_FORM_BYTES = 1024 * 1024;

/**
 * Pages take what a browser sends them: GET and HEAD, and POST of a form (urlencoded or
 * multipart) to a route's action. Anything else is refused here, before a route reads the body,
 * so bad input answers 405 (with `Allow`), 415 or 400 — never the 500 a route's
 * `request.formData()` would throw on JSON, plain text or a broken multipart body.
 */
const pageRequestGuard: MiddlewareHandler<AppEnv> = async (c, next) => {
  const method = c.req.method;
  if (method === "OPTIONS") return c.body(null, 204, { Allow: PAGE_METHODS });
  if (method !== "GET" && method !== "HEAD" && method !== "POST") {
    return c.text(`${method} is not allowed here.`, 405, { Allow: PAGE_METHODS });
  }
  if (method === "POST") {
    const type = (c.req.header("Content-Type") ?? "").split(";")[0].trim().toLowerCase();
    if (!FORM_TYPES.has(type)) return c.text("Send a form (application/x-www-form-urlencoded or multipart/form-data).", 415);
    // counted while read and cut off at the limit (chunked or not), then parsed once here to
    // refuse a broken form with 400; the route reads the same bytes again from memory
    let bytes: Uint8Array<ArrayBuffer>;
    try {
      bytes = await readWithin(c.req.raw.body, MAX_PAGE_FORM_BYTES);
    } catch (error) {
      if (error instanceof DomainError && error.status === 413) return c.text("The form is too large.", 413);
      throw error;
    }
    const request = new Request(c.req.raw, { body: bytes });
    try {
      await request.clone().formData();
    } catch {
      return c.text("The form data could not be read.", 400);
    }
    c.req.raw = request;
  }
  await next();
};

export function createWorkerApp(fallback?: Handler<AppEnv>) {
  const app = new Hono<AppEnv>();

  app.use("*", async (c, next) => {
    // only pages carry scripts, so only they need a nonce
    const api = c.req.path.startsWith("/api/");
    if (!api) c.set("nonce", randomToken(16));
    await next();
    const csp = api ? API_CSP : pageCsp(c.get("nonce"), BILLING_PAGE.test(c.req.path) ? stripePageOrigins(c.env) : []);
    // responses built from a fetch() can have immutable headers: copy them once
    try {
      securityHeaders(c.res.headers, csp);
    } catch {
      c.res = new Response(c.res.body, c.res);
      securityHeaders(c.res.headers, csp);
    }
  });
  // JSON-only bodies are an API rule; the web app's own forms post urlencoded/multipart to its routes
  app.use("*", sameOrigin);
  app.use("/api/*", jsonBody);
  app.use("/api/*", cleanInput);
  app.use("*", session);

  app.route("/", api);
  app.all("/api/*", (c) => {
    const allowed = allowedMethods(c.req.path);
    if (allowed.length === 0) return c.json(errorBody("not_found", "No such API route."), 404);
    c.header("Allow", allowed.join(", "));
    if (c.req.method === "OPTIONS") return c.body(null, 204);
    return c.json(errorBody("method_not_allowed", `${c.req.method} is not allowed here; use ${allowed.join(", ")}.`, { allow: allowed }), 405);
  });
  if (fallback) app.all("*", pageRequestGuard, fallback);

  app.onError((err, c) => {
    if (err instanceof DomainError) {
      for (const [name, value] of Object.entries(err.headers)) c.header(name, value);
      return c.json(errorBody(err.code, err.message, err.extra), err.status);
    }
    if (err instanceof HTTPException) {
      const status = err.status;
      const code = httpCodes[status] ?? "error";
      const message = status === 400 ? "The body is not valid JSON." : err.message || code;
      return c.json(errorBody(code, message), status);
    }
    console.error("unhandled error", c.req.method, c.req.path, err);
    return c.json(errorBody("internal_error", "Something went wrong on our side."), 500);
  });

  return app;
}
