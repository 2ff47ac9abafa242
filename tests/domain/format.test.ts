// Dates the web app turns into instants: an invite that "expires on" a day works to the end of
// that day where its creator lives, not in UTC.
import { describe, expect, it } from "vitest";
import { endOfDayIn, formatDate, isTimeZone, relativeTime } from "../../app/lib/format";

describe("endOfDayIn", () => {
  it("ends the day at 23:59:59 local time in the given zone", () => {
    expect(endOfDayIn("2026-12-31", "Asia/Taipei")).toBe("2026-12-31T15:59:59.000Z");
    expect(endOfDayIn("2026-12-31", "UTC")).toBe("2026-12-31T23:59:59.000Z");
    expect(endOfDayIn("2026-12-31", "America/Los_Angeles")).toBe("2027-01-01T07:59:59.000Z");
  });

  it("follows daylight saving time on both sides of a change", () => {
    // New York: EDT (UTC-4) until 1 Nov 2026, EST (UTC-5) after
    expect(endOfDayIn("2026-10-31", "America/New_York")).toBe("2026-11-01T03:59:59.000Z");
    expect(endOfDayIn("2026-11-01", "America/New_York")).toBe("2026-11-02T04:59:59.000Z");
    // Berlin on its spring-forward day: CEST (UTC+2) by the evening
    expect(endOfDayIn("2026-03-29", "Europe/Berlin")).toBe("2026-03-29T21:59:59.000Z");
  });

  it("refuses what is not a calendar day, and treats an unknown zone as UTC", () => {
    expect(endOfDayIn("2026-02-30", "UTC")).toBeNull();
    expect(endOfDayIn("tomorrow", "UTC")).toBeNull();
    expect(endOfDayIn("2026-06-01", "Not/A_Zone")).toBe("2026-06-01T23:59:59.000Z");
  });
});

describe("formatDate", () => {
  it("shows the day in the reader's zone", () => {
    const instant = "2026-12-31T15:59:59.000Z"; // the last second of 31 Dec in Taipei
    expect(formatDate(instant, "en", false, "Asia/Taipei")).toBe("Dec 31, 2026");
    expect(formatDate(instant, "en", false, "America/Los_Angeles")).toBe("Dec 31, 2026");
    expect(formatDate("2027-01-01T07:59:59.000Z", "en", false, "Asia/Taipei")).toBe("Jan 1, 2027");
  });
});

describe("dates the server and the browser write alike", () => {
  it("writes a join at 2026-10-31T05:00Z as 30 Oct for a Honolulu reader and 31 Oct in UTC", () => {
    expect(formatDate("2026-10-31T05:00:00Z", "en", false, "Pacific/Honolulu")).toBe("Oct 30, 2026");
    expect(formatDate("2026-10-31T05:00:00Z", "en", false, "UTC")).toBe("Oct 31, 2026");
    expect(formatDate("2026-10-31T05:00:00Z", "en", false, "Pacific/Kiritimati")).toBe("Oct 31, 2026");
  });

  it("accepts IANA zones for the tz cookie and refuses anything else", () => {
    expect(isTimeZone("Pacific/Honolulu")).toBe(true);
    expect(isTimeZone("UTC")).toBe(true);
    expect(isTimeZone("Not/A_Zone")).toBe(false);
    expect(isTimeZone("")).toBe(false);
    expect(isTimeZone(42)).toBe(false);
  });

  it("counts relative times from the given now, never the clock", () => {
    const now = Date.parse("2026-11-30T12:00:00Z");
    expect(relativeTime("2026-11-30T09:00:00Z", "en", now)).toBe("3 hours ago");
    expect(relativeTime("2026-11-30T11:59:30Z", "en", now)).toBe("now");
    expect(relativeTime("2026-11-01T09:00:00Z", "en", now)).toBeNull(); // older than a week: the date
  });
});
