// Which wall clock a page's dates are written in: the signed-in reader's profile zone, else the
// zone the browser reported in the `tz` cookie (set after the first hydration), else UTC until
// the browser has told us. The browser renders its first pass with the same zone (root loader
// data), so server and client text agree (no React #418).
import { readCookie } from "../i18n/locale.server";
import { isTimeZone, TZ_COOKIE } from "./format";

/** The reader's zone for this request: { timeZone (IANA), known: false when it is only the UTC stand-in }. */
export function readerTimeZone(request: Request, user: { timezone?: string | null } | null): { timeZone: string; known: boolean } {
  if (user && isTimeZone(user.timezone)) return { timeZone: user.timezone, known: true };
  const cookie = readCookie(request, TZ_COOKIE);
  if (isTimeZone(cookie)) return { timeZone: cookie, known: true };
  return { timeZone: "UTC", known: false };
}
