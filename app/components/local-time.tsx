// The one way a page shows a date or time. The server renders in the reader's zone (root loader:
// profile zone, else the browser's from the `tz` cookie, else UTC) and the browser's first render
// uses the very same zone and `now`, so hydration sees identical text. Only after hydration may a
// reader with no known zone switch to the browser's own — and the cookie makes the next server
// render agree.
import { useEffect, useSyncExternalStore } from "react";
import { useRouteLoaderData } from "react-router";
import { defaultLocale } from "../i18n";
import { formatDate, relativeTime, TZ_COOKIE } from "../lib/format";

export type ReaderClock = { locale: string; timeZone: string; timeZoneKnown: boolean; now: number };

type RootClockData = { locale?: string; timeZone?: string; timeZoneKnown?: boolean; now?: number } | undefined;

// false while React hydrates server HTML (every Suspense boundary included, however late it
// hydrates), true for any render after that: React uses the server snapshot during hydration and
// re-renders with the client one right after
const noSubscription = () => () => {};
function useHydrated(): boolean {
  return useSyncExternalStore(
    noSubscription,
    () => true,
    () => false,
  );
}

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
  const hydrated = useHydrated();
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
