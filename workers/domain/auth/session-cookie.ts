// The session cookie as API.md describes it, written once for the API's auth routes
// (api/session-cookie.ts) and the pages' sign-in, sign-up and sign-out actions: HttpOnly,
// SameSite=Lax, Path=/, 30 days, Secure everywhere but plain-http localhost (where a Secure
// cookie would never come back).
import { generateCookie } from "hono/cookie";
import { isLoopbackHost } from "../../lib/local-request";
import { SESSION_DAYS } from "./sessions";

export const SESSION_COOKIE = "enclave_session";

/**
 * The Set-Cookie header value that hands `token` to the browser of a request to `url`, or, with
 * null, removes the cookie (empty value, Max-Age=0).
 */
export function sessionCookie(url: string, token: string | null): string {
  const secure = !isLoopbackHost(new URL(url).hostname);
  const base = { httpOnly: true, sameSite: "Lax", path: "/", secure } as const;
  return token === null ? generateCookie(SESSION_COOKIE, "", { ...base, maxAge: 0 }) : generateCookie(SESSION_COOKIE, token, { ...base, maxAge: SESSION_DAYS * 86_400 });
}

/** Where links in mail point: the configured APP_ORIGIN, else the origin of the request (`url`). */
export const mailOrigin = (env: Env, url: string): string => env.APP_ORIGIN || new URL(url).origin;

/** The client's address as Cloudflare reports it (CF-Connecting-IP), "unknown" without one: the key of per-IP limits. */
export const clientIp = (headers: Headers): string => headers.get("CF-Connecting-IP") ?? "unknown";
