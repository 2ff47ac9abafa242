// The Hono side of domain/auth/session-cookie.ts: the same cookie, mail origin and client address
// for a route's context.
import * as cookie from "../domain/auth/session-cookie";
import type { AppContext } from "./factory";

export const setSessionCookie = (c: AppContext, token: string) => c.header("Set-Cookie", cookie.sessionCookie(c.req.url, token), { append: true });

export const clearSessionCookie = (c: AppContext) => c.header("Set-Cookie", cookie.sessionCookie(c.req.url, null), { append: true });

/** Where links in mail point: the configured app origin, else the origin that was asked. */
export const mailOrigin = (c: AppContext) => cookie.mailOrigin(c.env, c.req.url);

export const clientIp = (c: AppContext) => cookie.clientIp(c.req.raw.headers);
