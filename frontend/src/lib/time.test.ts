import { describe, expect, it } from "vitest";

import { formatDue } from "./time";

const berlin = { timeZone: "Europe/Berlin", allDay: true };

describe("formatDue", () => {
  it("names today, tomorrow and yesterday on an ordinary day", () => {
    const now = new Date("2025-03-12T11:00:00Z"); // 12:00 in Berlin
    expect(formatDue("2025-03-12T17:00:00Z", { ...berlin, now })).toBe("Today");
    expect(formatDue("2025-03-13T08:00:00Z", { ...berlin, now })).toBe("Tomorrow");
    expect(formatDue("2025-03-11T08:00:00Z", { ...berlin, now })).toBe("Yesterday");
    expect(formatDue("2025-03-14T08:00:00Z", { ...berlin, now })).not.toMatch(/Today|Tomorrow|Yesterday/);
  });

  it("knows tomorrow on the evening before the clocks go forward", () => {
    const now = new Date("2025-03-29T22:30:00Z"); // Sat 29 Mar, 23:30 CET; Sunday has 23 hours
    expect(formatDue("2025-03-30T08:00:00Z", { ...berlin, now })).toBe("Tomorrow");
    expect(formatDue("2025-03-30T22:30:00Z", { ...berlin, now })).not.toBe("Tomorrow"); // Mon 00:30 CEST
  });

  it("knows yesterday at 00:30 after the short day", () => {
    const now = new Date("2025-03-30T22:30:00Z"); // Mon 31 Mar, 00:30 CEST
    expect(formatDue("2025-03-30T10:00:00Z", { ...berlin, now })).toBe("Yesterday");
    expect(formatDue("2025-03-31T10:00:00Z", { ...berlin, now })).toBe("Today");
    expect(formatDue("2025-04-01T10:00:00Z", { ...berlin, now })).toBe("Tomorrow");
  });

  it("does not call the long autumn Sunday both today and tomorrow", () => {
    const now = new Date("2025-10-25T22:30:00Z"); // Sun 26 Oct, 00:30 CEST; the day has 25 hours
    expect(formatDue("2025-10-26T20:00:00Z", { ...berlin, now })).toBe("Today");
    expect(formatDue("2025-10-27T08:00:00Z", { ...berlin, now })).toBe("Tomorrow");
  });

  it("shows the time for timed items", () => {
    const now = new Date("2025-03-12T11:00:00Z");
    expect(formatDue("2025-03-13T06:30:00Z", { timeZone: "Europe/Berlin", now })).toMatch(/^Tomorrow 0?7:30/);
  });
});
