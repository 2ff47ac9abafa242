import { getCookie } from "hono/cookie";
import { createMiddleware } from "hono/factory";
import { Reader } from "../domain/auth/reader";
import { DomainError, forbidden } from "../lib/errors";
import { bodyTooLarge, readWithin } from "../lib/limited-body";
import { cleanJson } from "../lib/text";
import type { AppContext, AppEnv } from "./factory";

import { SESSION_COOKIE } from "../domain/auth/session-cookie";
/** The largest JSON body, in bytes (a 40,000-character post is at most ~160 KB of UTF-8). */
export const MAX_JSON_BYTES = 256 * 1024;

const unsafeMethod = (method: string) => !["GET", "HEAD", "OPTIONS"].includes(method);
/** Routes that read their body as bytes: webhooks verify a signature over it, uploads are files. */
const rawBodyRoute = (c: AppContext) => c.req.path.startsWith("/api/v1/webhooks/") || c.req.path === "/api/v1/uploads";
const mediaType = (c: AppContext) => (c.req.header("Content-Type") ?? "").split(";")[0].trim().toLowerCase();

// State-changing requests must come from the app's own Origin (cookies are SameSite=Lax, and
// this closes the rest of the CSRF door for browsers that send Origin or Sec-Fetch-Site).
// A WebSocket upgrade is a GET, and a page on any site may open one with the member's cookies
// (cross-site WebSocket hijacking): an upgrade must name our Origin, which every browser sends.
export const sameOrigin = createMiddleware<AppEnv>(async (c, next) => {
  const upgrade = c.req.header("Upgrade")?.toLowerCase() === "websocket";
  if ((unsafeMethod(c.req.method) || upgrade) && !c.req.path.startsWith("/api/v1/webhooks/")) {
    const self = new URL(c.req.url).origin;
    const allowed = new Set([self, ...(c.env.APP_ORIGIN ? [c.env.APP_ORIGIN] : [])]);
    const origin = c.req.header("Origin");
    const site = c.req.header("Sec-Fetch-Site");
    if ((origin && origin !== "null" && !allowed.has(origin)) || origin === "null" || site === "cross-site" || (upgrade && !origin)) {
      throw forbidden("Cross-origin requests cannot change anything here.");
    }
  }
  await next();
});

/** A copy of the request with `url` and, when given, another body (the validators read c.req.raw). */
function replaceRequest(c: AppContext, url: URL | string, body?: string) {
  const headers = new Headers(c.req.raw.headers);
  headers.delete("Content-Length");
  c.req.raw = new Request(url, { method: c.req.method, headers, body: body ?? c.req.raw.body });
}

const notJson = () => new DomainError(415, "unsupported_media_type", "Send the body as application/json.");

/**
 * JSON in: a body must say application/json (415) and stay within MAX_JSON_BYTES, counted while
 * it is read (413 too_large, lib/limited-body.ts), chunked or not; multipart uploads and the
 * Stripe webhook check their own type and size. The body read for the size check
 * is also where user text is cleaned (issue 7 §3, ADR 011): every string is NFC-normalised and
 * loses control characters other than tab and line feed before any route or validator sees it
 * (lib/text.ts cleanJson; names and titles get NFC here and their rule in their schema,
 * passwords and tokens pass untouched). Malformed JSON stays as sent: the validator answers its 400.
 */
export const jsonBody = createMiddleware<AppEnv>(async (c, next) => {
  const declared = Number(c.req.header("Content-Length") ?? "0");
  // a chunked body has no Content-Length: whether a stream is there is what counts
  if (!unsafeMethod(c.req.method) || rawBodyRoute(c) || (declared === 0 && c.req.raw.body === null)) return next();
  const isJson = mediaType(c) === "application/json";
  if (!isJson && declared > 0) throw notJson();
  // an honest Content-Length past the limit is refused unread; any other body is counted as it
  // is read and refused at the first chunk past the limit (no length, or an understated one)
  if (declared > MAX_JSON_BYTES) throw bodyTooLarge(MAX_JSON_BYTES);
  const bytes = await readWithin(c.req.raw.body, MAX_JSON_BYTES);
  if (!isJson && bytes.byteLength > 0) throw notJson();
  if (bytes.byteLength === 0) {
    // an empty body (Content-Length: 0, whatever its type) is no body: a route whose body is
    // optional takes its defaults, one whose body is required answers its 400
    const headers = new Headers(c.req.raw.headers);
    headers.delete("Content-Length");
    headers.delete("Content-Type");
    c.req.raw = new Request(c.req.raw.url, { method: c.req.method, headers });
    return next();
  }
  const text = new TextDecoder().decode(bytes);
  let cleaned = text;
  try {
    cleaned = JSON.stringify(cleanJson(JSON.parse(text)));
  } catch {
    // not JSON (or empty): passed on as sent
  }
  replaceRequest(c, c.req.raw.url, cleaned);
  await next();
});

/**
 * The other half of the one place user text enters (the body's is in jsonBody): every
 * query-string value is cleaned as body strings are. Registered for all of /api/*, so a new
 * route cannot forget it. Path parameters are identifiers (ids, slugs, codes, the reaction emoji
 * list) matched exactly and never stored as text, so they are left as routed.
 */
export const cleanInput = createMiddleware<AppEnv>(async (c, next) => {
  const url = new URL(c.req.url);
  const query = new URLSearchParams();
  for (const [key, value] of url.searchParams) query.append(key, cleanJson(value, key) as string);
  if (query.toString() !== url.searchParams.toString()) {
    url.search = query.toString();
    replaceRequest(c, url);
  }
  await next();
});

// The session is not looked up here: the first route statement that needs it carries it (ADR 010).
export const session = createMiddleware<AppEnv>(async (c, next) => {
  c.set("reader", await Reader.fromToken(c.env, getCookie(c, SESSION_COOKIE)));
  await next();
});
