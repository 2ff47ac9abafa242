// Which language a request is answered in: the signed-in user's saved locale, then the `lang`
// cookie (set by the language switcher), then every Accept-Language entry by q, then English.
import { defaultLocale, isLocale, matchLocale, type Locale } from ".";

export const LANG_COOKIE = "lang";

export function readCookie(request: Request, name: string): string | null {
  const header = request.headers.get("Cookie");
  if (!header) return null;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq === -1) continue;
    if (part.slice(0, eq).trim() === name) {
      try {
        return decodeURIComponent(part.slice(eq + 1).trim());
      } catch {
        return null;
      }
    }
  }
  return null;
}

export function parseAcceptLanguage(header: string | null): string[] {
  if (!header) return [];
  return header
    .split(",")
    .map((entry, index) => {
      const [tag, ...params] = entry.trim().split(";");
      let q = 1;
      for (const p of params) {
        const [k, v] = p.trim().split("=");
        if (k === "q") q = Number.parseFloat(v ?? "");
      }
      return { tag: tag.trim(), q: Number.isFinite(q) ? q : 0, index };
    })
    .filter((e) => e.tag && e.q > 0)
    .sort((a, b) => b.q - a.q || a.index - b.index)
    .map((e) => e.tag);
}

export function findLocale(request: Request, user: { locale?: string | null } | null): Locale {
  const saved = matchLocale(user?.locale);
  if (saved) return saved;
  const cookie = readCookie(request, LANG_COOKIE);
  if (isLocale(cookie)) return cookie;
  for (const tag of parseAcceptLanguage(request.headers.get("Accept-Language"))) {
    const match = matchLocale(tag);
    if (match) return match;
  }
  return defaultLocale;
}

export function langCookie(locale: Locale): string {
  return `${LANG_COOKIE}=${encodeURIComponent(locale)}; Path=/; Max-Age=31536000; SameSite=Lax`;
}
