// Dates the web app turns into instants: an invite that "expires on" a day works to the end of
// that day where its creator lives, not in UTC.
import { describe, expect, it } from "vitest";
import { endOfDayIn, formatDate } from "../../app/lib/format";

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
