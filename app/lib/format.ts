// Building an Intl formatter costs about a quarter of a millisecond (locale data, zone rules); a
// page formats dozens of dates with a handful of distinct settings, so each is built once per
// isolate. The keys are bounded: two locales, a few styles, the zones the runtime knows.
const dateFormats = new Map<string, Intl.DateTimeFormat>();
const relativeFormats = new Map<string, Intl.RelativeTimeFormat>();

function dateFormat(locale: string, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = `${locale}\u0000${JSON.stringify(options)}`;
  let format = dateFormats.get(key);
  if (!format) {
    format = new Intl.DateTimeFormat(locale, options); // throws for an unknown zone: nothing cached
    dateFormats.set(key, format);
  }
  return format;
}

function relativeFormat(locale: string): Intl.RelativeTimeFormat {
  let format = relativeFormats.get(locale);
  if (!format) {
    format = new Intl.RelativeTimeFormat(locale, { numeric: "auto" });
    relativeFormats.set(locale, format);
  }
  return format;
}

/** The cookie carrying the browser's IANA zone for readers without a profile zone (set by the browser). */
export const TZ_COOKIE = "tz";

/** Whether `zone` is an IANA time zone this runtime knows ("Pacific/Honolulu", "UTC"); false for anything else. */
export function isTimeZone(zone: unknown): zone is string {
  if (typeof zone !== "string" || zone === "" || zone.length > 64) return false;
  try {
    dateFormat("en-US", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/**
 * `value` as a date (or date and time) in `locale`, on the wall clock of `timeZone` (IANA; the
 * runtime's own zone when absent or unknown — pass one, or server and browser disagree). "" for no
 * date or an invalid one. Pages show dates through <LocalTime>, which passes the reader's zone.
 */
export function formatDate(
  value: string | number | Date | null | undefined,
  locale: string,
  withTime = false,
  timeZone?: string,
): string {
  if (value === null || value === undefined || value === "") return "";
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return "";
  const style: Intl.DateTimeFormatOptions = withTime ? { dateStyle: "medium", timeStyle: "short" } : { dateStyle: "medium" };
  try {
    return dateFormat(locale, { ...style, timeZone }).format(date);
  } catch {
    return dateFormat(locale, style).format(date); // an unknown zone: the runtime's own
  }
}

/** How far `timeZone`'s wall clock is ahead of UTC at `instant`, in ms (Taipei: +8 h). */
function zoneOffsetMs(instant: number, timeZone: string): number {
  const parts = dateFormat("en-US", {
    timeZone,
    hourCycle: "h23",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
  }).formatToParts(new Date(instant));
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  const wall = Date.UTC(get("year"), get("month") - 1, get("day"), get("hour"), get("minute"), get("second"));
  return wall - Math.floor(instant / 1000) * 1000;
}

/**
 * The last moment of calendar day `day` ("2026-12-31") in `timeZone`, as an ISO instant: what an
 * `<input type="date">` means when a person picks the day something stops working. null for a
 * day that is not one; an unknown zone counts as UTC.
 */
export function endOfDayIn(day: string, timeZone: string): string | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  if (!match) return null;
  const wallEnd = Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]), 23, 59, 59);
  if (Number.isNaN(wallEnd) || new Date(wallEnd).toISOString().slice(0, 10) !== day) return null;
  const zone = isTimeZone(timeZone) ? timeZone : "UTC";
  // the offset at the guess, then again at the result: a DST change that day moves it once
  let instant = wallEnd - zoneOffsetMs(wallEnd, zone);
  instant = wallEnd - zoneOffsetMs(instant, zone);
  return new Date(instant).toISOString();
}

export function timeZones(): string[] {
  try {
    const supported = (Intl as unknown as { supportedValuesOf?: (key: string) => string[] }).supportedValuesOf?.("timeZone");
    if (supported && supported.length) return supported.includes("UTC") ? supported : ["UTC", ...supported];
  } catch {
    // fall through to a short list
  }
  return ["UTC", "Asia/Taipei", "Asia/Hong_Kong", "Asia/Tokyo", "Asia/Singapore", "Europe/London", "Europe/Berlin", "America/New_York", "America/Los_Angeles"];
}

const RELATIVE_STEPS: Array<[Intl.RelativeTimeFormatUnit, number]> = [
  ["second", 60],
  ["minute", 60],
  ["hour", 24],
  ["day", 7],
];

/**
 * "5 minutes ago" for an ISO instant within the last week before `now` (ms since the epoch),
 * else null (show the date). Depends on `now` only, never the clock, so the server and the
 * hydrating browser given the same `now` write the same words.
 */
export function relativeTime(value: string, locale: string, now: number): string | null {
  let delta = (new Date(value).getTime() - now) / 1000;
  if (!Number.isFinite(delta) || delta > 60) return null;
  if (Math.abs(delta) < 45) return relativeFormat(locale).format(0, "second");
  for (const [unit, size] of RELATIVE_STEPS) {
    if (Math.abs(delta) < size) return relativeFormat(locale).format(Math.round(delta), unit);
    delta /= size;
  }
  return null;
}
