// The session cookie as API.md describes it: HttpOnly, SameSite=Lax, Path=/, 30 days, Secure
// everywhere but plain-http localhost (where a Secure cookie would never come back).
import { deleteCookie, setCookie } from "hono/cookie";
import { SESSION_DAYS } from "../domain/auth/sessions";
import { isLoopbackHost } from "../lib/local-request";
import type { AppContext } from "./factory";
import { SESSION_COOKIE } from "./middleware";

const isLocalHost = (c: AppContext) => isLoopbackHost(new URL(c.req.url).hostname);

export function setSessionCookie(c: AppContext, token: string) {
  setCookie(c, SESSION_COOKIE, token, {
    httpOnly: true,
    sameSite: "Lax",
    path: "/",
    secure: !isLocalHost(c),
    maxAge: SESSION_DAYS * 86_400,
  });
}

export function clearSessionCookie(c: AppContext) {
  deleteCookie(c, SESSION_COOKIE, { httpOnly: true, sameSite: "Lax", path: "/", secure: !isLocalHost(c) });
}

/** Where links in mail point: the configured app origin, else the origin that was asked. */
export const mailOrigin = (c: AppContext) => c.env.APP_ORIGIN || new URL(c.req.url).origin;

export const clientIp = (c: AppContext) => c.req.header("CF-Connecting-IP") ?? "unknown";
