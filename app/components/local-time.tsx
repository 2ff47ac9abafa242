// The one way a page shows a date or time. The server renders in the reader's zone (root loader:
// profile zone, else the browser's from the `tz` cookie, else UTC) and the browser's first render
// uses the very same zone and `now`, so hydration sees identical text. Only after hydration may a
// reader with no known zone switch to the browser's own — and the cookie makes the next server
// render agree.
import { useEffect, useState } from "react";
import { useRouteLoaderData } from "react-router";
import { defaultLocale } from "../i18n";
import { formatDate, relativeTime, TZ_COOKIE } from "../lib/format";

export type ReaderClock = { locale: string; timeZone: string; timeZoneKnown: boolean; now: number };

type RootClockData = { locale?: string; timeZone?: string; timeZoneKnown?: boolean; now?: number } | undefined;

// true once the first render of this document has hydrated: later mounts (client navigation)
// have no server text to match and may use the browser's clock and zone at once
let hydratedOnce = false;

/** The browser's IANA zone, or null on the server / when the runtime does not say. */
export function browserTimeZone(): string | null {
  if (typeof window === "undefined") return null;
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || null;
  } catch {
    return null;
  }
}

/** The locale, zone and `now` (ms) to write dates with; equal on the server and in the hydrating browser. */
export function useReaderClock(): ReaderClock {
  const root = useRouteLoaderData("root") as RootClockData;
  const [hydrated, setHydrated] = useState(hydratedOnce);
  useEffect(() => {
    hydratedOnce = true;
    setHydrated(true);
  }, []);
  const known = root?.timeZoneKnown ?? false;
  const serverZone = root?.timeZone ?? "UTC";
  const timeZone = hydrated && !known ? (browserTimeZone() ?? serverZone) : serverZone;
  const now = hydrated ? Date.now() : (root?.now ?? 0);
  return { locale: root?.locale ?? defaultLocale, timeZone, timeZoneKnown: known, now };
}

/** `(value, withTime?) → text` in the reader's zone, for dates inside a sentence ("Joined Oct 30, 2026"). */
export function useFormatDate(): (value: string | number | Date | null | undefined, withTime?: boolean) => string {
  const { locale, timeZone } = useReaderClock();
  return (value, withTime = false) => formatDate(value, locale, withTime, timeZone);
}

/**
 * `<time>` for an ISO instant: the date (withTime: and time) in the reader's zone; relative:
 * "3 hours ago" within a week, measured from the loader's `now` on the first render. The exact
 * time is in the tooltip.
 */
export function LocalTime({ value, withTime = false, relative = false, className }: { value: string; withTime?: boolean; relative?: boolean; className?: string }) {
  const { locale, timeZone, now } = useReaderClock();
  const text = (relative ? relativeTime(value, locale, now) : null) ?? formatDate(value, locale, withTime, timeZone);
  return (
    <time dateTime={value} title={formatDate(value, locale, true, timeZone)} className={className}>
      {text}
    </time>
  );
}

/** Once hydrated, writes the browser's zone into the `tz` cookie when the cookie says otherwise. */
export function useTimeZoneCookie() {
  useEffect(() => {
    const zone = browserTimeZone();
    if (!zone) return;
    const current = document.cookie
      .split(";")
      .map((part) => part.trim())
      .find((part) => part.startsWith(`${TZ_COOKIE}=`));
    if (current && decodeURIComponent(current.slice(TZ_COOKIE.length + 1)) === zone) return;
    document.cookie = `${TZ_COOKIE}=${encodeURIComponent(zone)}; Path=/; Max-Age=31536000; SameSite=Lax`;
  }, []);
}
