import { describe, expect, it } from "vitest";

import { FORMER_MEMBER, type HistoryEntry, isoWeekStart, localDate, weekLabel, weeklyTotals } from "./weekly-totals";

const bob = { id: "bob", name: "Bob" };
const ann = { id: "ann", name: "Ann" };

function entry(created_at: string, overrides: Partial<HistoryEntry> = {}): HistoryEntry {
  return { event: "done", credited_id: "bob", credited_name: "Bob", points: 2, effort_minutes: 10, created_at, ...overrides };
}

const range = { since: new Date("2024-03-01T12:00:00Z"), until: new Date("2024-03-20T12:00:00Z") };

describe("isoWeekStart", () => {
  it("finds the Monday, across months and years", () => {
    expect(isoWeekStart("2024-03-04")).toBe("2024-03-04"); // a Monday
    expect(isoWeekStart("2024-03-10")).toBe("2024-03-04"); // its Sunday
    expect(isoWeekStart("2024-03-01")).toBe("2024-02-26");
    expect(isoWeekStart("2021-01-03")).toBe("2020-12-28");
    expect(isoWeekStart("2025-01-01")).toBe("2024-12-30");
  });
});

describe("localDate", () => {
  it("is the date in the given zone, not in UTC", () => {
    const instant = new Date("2024-03-03T23:30:00Z");
    expect(localDate(instant, "UTC")).toBe("2024-03-03");
    expect(localDate(instant, "Europe/Berlin")).toBe("2024-03-04");
    expect(localDate(new Date("2024-03-04T03:00:00Z"), "America/New_York")).toBe("2024-03-03");
  });
});

describe("weeklyTotals", () => {
  it("lists every week of the range, with zeros for idle weeks and idle members", () => {
    const { members, weeks } = weeklyTotals([entry("2024-03-12T09:00:00Z")], { ...range, timeZone: "UTC", members: [ann, bob] });
    expect(members).toEqual([ann, bob]);
    expect(weeks.map((week) => week.start)).toEqual(["2024-02-26", "2024-03-04", "2024-03-11", "2024-03-18"]);
    const zero = { points: 0, effort: 0, completed: 0 };
    expect(weeks[0]!.totals).toEqual({ ann: zero, bob: zero });
    expect(weeks[1]!.totals).toEqual({ ann: zero, bob: zero });
    expect(weeks[2]!.totals).toEqual({ ann: zero, bob: { points: 2, effort: 10, completed: 1 } });
    expect(weeks[3]!.totals).toEqual({ ann: zero, bob: zero });
  });

  it("takes an undo back, whichever sign the server gave its numbers", () => {
    const { weeks } = weeklyTotals(
      [
        entry("2024-03-12T09:00:00Z", { points: 3, effort_minutes: 15 }),
        entry("2024-03-12T10:00:00Z", { points: 2, effort_minutes: 10 }),
        entry("2024-03-12T10:05:00Z", { event: "undone", points: -2, effort_minutes: -10 }),
        entry("2024-03-13T08:00:00Z", { event: "undone", points: 3, effort_minutes: 15 }),
      ],
      { ...range, timeZone: "UTC" },
    );
    expect(weeks[2]!.totals.bob).toEqual({ points: 0, effort: 0, completed: 0 });
  });

  it("can go negative in a week when the undo lands after the week of the completion", () => {
    const { weeks } = weeklyTotals(
      [entry("2024-03-10T22:00:00Z"), entry("2024-03-11T01:00:00Z", { event: "undone", points: -2, effort_minutes: -10 })],
      { ...range, timeZone: "UTC" },
    );
    expect(weeks[1]!.totals.bob).toEqual({ points: 2, effort: 10, completed: 1 });
    expect(weeks[2]!.totals.bob).toEqual({ points: -2, effort: -10, completed: -1 });
  });

  it("ignores skips and misses", () => {
    const { members, weeks } = weeklyTotals(
      [entry("2024-03-12T09:00:00Z", { event: "skipped", points: 5 }), entry("2024-03-12T09:00:00Z", { event: "missed", credited_id: "ann" })],
      { ...range, timeZone: "UTC" },
    );
    expect(members).toEqual([]);
    expect(weeks.every((week) => Object.keys(week.totals).length === 0)).toBe(true);
  });

  it("puts an entry in the week of the household's zone", () => {
    // Sunday 23:30 in London is already Monday 00:30 in Berlin.
    const sundayNight = [entry("2024-03-03T23:30:00Z")];
    const utc = weeklyTotals(sundayNight, { ...range, timeZone: "UTC" });
    const berlin = weeklyTotals(sundayNight, { ...range, timeZone: "Europe/Berlin" });
    expect(utc.weeks.find((week) => week.start === "2024-02-26")!.totals.bob!.points).toBe(2);
    expect(utc.weeks.find((week) => week.start === "2024-03-04")!.totals.bob!.points).toBe(0);
    expect(berlin.weeks.find((week) => week.start === "2024-02-26")!.totals.bob!.points).toBe(0);
    expect(berlin.weeks.find((week) => week.start === "2024-03-04")!.totals.bob!.points).toBe(2);

    // Monday 03:00 UTC is still Sunday evening in New York (on the night clocks change).
    const ny = weeklyTotals([entry("2024-03-11T03:00:00Z")], { ...range, timeZone: "America/New_York" });
    expect(ny.weeks.find((week) => week.start === "2024-03-04")!.totals.bob!.points).toBe(2);
    expect(ny.weeks.find((week) => week.start === "2024-03-11")!.totals.bob!.points).toBe(0);
  });

  it("starts and ends the weeks in the household's zone too", () => {
    const { weeks } = weeklyTotals([], {
      since: new Date("2024-03-03T23:30:00Z"),
      until: new Date("2024-03-10T23:30:00Z"),
      timeZone: "Europe/Berlin",
    });
    expect(weeks.map((week) => week.start)).toEqual(["2024-03-04", "2024-03-11"]);
  });

  it("counts only entries after since and up to until", () => {
    const { weeks } = weeklyTotals(
      [entry("2024-03-01T12:00:00Z"), entry("2024-03-01T12:00:01Z", { points: 1 }), entry("2024-03-20T12:00:01Z", { points: 7 })],
      { ...range, timeZone: "UTC" },
    );
    expect(weeks.reduce((sum, week) => sum + (week.totals.bob?.points ?? 0), 0)).toBe(1);
  });

  it("charts credit of people who left after the members given", () => {
    const { members, weeks } = weeklyTotals(
      [entry("2024-03-12T09:00:00Z", { credited_id: "cat", credited_name: "Cat" }), entry("2024-03-12T09:00:00Z", { credited_id: null, credited_name: null })],
      { ...range, timeZone: "UTC", members: [bob] },
    );
    expect(members).toEqual([bob, { id: "cat", name: "Cat" }, FORMER_MEMBER]);
    expect(weeks[2]!.totals[FORMER_MEMBER.id]!.points).toBe(2);
    expect(weeks[0]!.totals.cat).toEqual({ points: 0, effort: 0, completed: 0 });
  });
});

describe("weekLabel", () => {
  it("names the week by its Monday", () => {
    expect(weekLabel("2024-03-04")).toBe("4 Mar");
  });
});
