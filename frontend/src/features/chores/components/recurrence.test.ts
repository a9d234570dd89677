import { describe, expect, it } from "vitest";

import {
  type RecurrenceForm,
  type Schedule,
  defaultForm,
  describeSchedule,
  formatPreviewDue,
  fromSchedule,
  normalizeFieldErrors,
  scheduleProblems,
  seasonMonths,
  toSchedule,
  withStart,
} from "./recurrence";

// 2025-03-05 is a Wednesday.
const form = (patch: Partial<RecurrenceForm>): RecurrenceForm => ({ ...defaultForm("2025-03-05"), ...patch });

describe("toSchedule", () => {
  it("starts a new chore weekly on the start date's weekday", () => {
    expect(toSchedule(defaultForm("2025-03-05"))).toEqual({
      kind: "weekly",
      every: 1,
      weekdays: ["we"],
      start: "2025-03-05",
      time: "09:00",
    });
  });

  it("sends weekly days in week order with the interval as a number", () => {
    expect(toSchedule(form({ kind: "weekly", every: "2", weekdays: ["th", "mo"], time: "07:00" }))).toEqual({
      kind: "weekly",
      every: 2,
      weekdays: ["mo", "th"],
      start: "2025-03-05",
      time: "07:00",
    });
  });

  it("makes the last Friday of the month nth -1", () => {
    expect(toSchedule(form({ kind: "monthly_weekday", nth: -1, weekday: "fr", time: "19:30" }))).toEqual({
      kind: "monthly_weekday",
      every: 1,
      nth: -1,
      weekday: "fr",
      start: "2025-03-05",
      time: "19:30",
    });
  });

  it("sends no time for an all-day schedule", () => {
    expect(toSchedule(form({ kind: "daily", allDay: true, time: "07:00" }))).toEqual({
      kind: "daily",
      every: 1,
      start: "2025-03-05",
      time: null,
    });
  });

  it("counts after completion in days or weeks", () => {
    expect(toSchedule(form({ kind: "after_completion", every: "3", unit: "days", allDay: true }))).toEqual({
      kind: "after_completion",
      every: 3,
      unit: "days",
      start: "2025-03-05",
      time: null,
    });
  });

  it("adds a season, an end date or a count only when chosen", () => {
    const seasonal = toSchedule(form({ kind: "daily", seasonal: true, seasonStart: 11, seasonEnd: 2, ending: "count", count: "12" }));
    expect(seasonal).toMatchObject({ season: { start_month: 11, end_month: 2 }, count: 12 });
    expect(seasonal).not.toHaveProperty("until");
    const until = toSchedule(form({ kind: "daily", ending: "until", until: "2025-12-31", count: "12" }));
    expect(until).toMatchObject({ until: "2025-12-31" });
    expect(until).not.toHaveProperty("count");
    expect(until).not.toHaveProperty("season");
  });

  it("leaves out what a kind does not have (the API refuses unknown fields)", () => {
    const once = toSchedule(form({ kind: "once", every: "3", seasonal: true, ending: "count" }));
    expect(once).toEqual({ kind: "once", start: "2025-03-05", time: "09:00" });
    const yearly = toSchedule(form({ kind: "yearly", month: 12, day: "24", seasonal: true }));
    expect(yearly).toEqual({ kind: "yearly", month: 12, day: 24, start: "2025-03-05", time: "09:00" });
  });

  it("turns a number that is not one into NaN for the checks to catch", () => {
    const schedule = toSchedule(form({ kind: "daily", every: "" }));
    expect(schedule).toMatchObject({ kind: "daily" });
    expect("every" in schedule && Number.isNaN(schedule.every)).toBe(true);
  });
});

describe("fromSchedule", () => {
  it("reads the API's schedule back, seconds and nulls included", () => {
    const api = {
      kind: "monthly_weekday",
      every: 2,
      nth: -1,
      weekday: "fr",
      start: "2025-03-05",
      time: "19:30:00",
      until: null,
      count: 6,
      season: { start_month: 4, end_month: 9 },
    } as Schedule;
    const read = fromSchedule(api);
    expect(read).toMatchObject({ kind: "monthly_weekday", every: "2", nth: -1, weekday: "fr", time: "19:30", allDay: false, ending: "count", count: "6", seasonal: true, seasonStart: 4, seasonEnd: 9 });
    expect(toSchedule(read)).toEqual({
      kind: "monthly_weekday",
      every: 2,
      nth: -1,
      weekday: "fr",
      start: "2025-03-05",
      time: "19:30",
      count: 6,
      season: { start_month: 4, end_month: 9 },
    });
  });

  it("round-trips every kind", () => {
    const schedules: Schedule[] = [
      { kind: "once", start: "2025-03-05", time: null },
      { kind: "daily", every: 3, start: "2025-03-05", time: "06:15", until: "2025-06-01" },
      { kind: "weekly", every: 1, weekdays: ["sa"], start: "2025-03-05", time: null },
      { kind: "monthly_day", every: 1, day: 31, start: "2025-03-05", time: "10:00" },
      { kind: "yearly", month: 2, day: 29, start: "2025-03-05", time: null, count: 3 },
      { kind: "after_completion", every: 2, unit: "weeks", start: "2025-03-05", time: "08:00" },
    ];
    for (const schedule of schedules) expect(toSchedule(fromSchedule(schedule))).toEqual(schedule);
  });

  it("suggests the start date's weekday, day and place in the month", () => {
    expect(fromSchedule({ kind: "once", start: "2025-01-31", time: null })).toMatchObject({ weekdays: ["fr"], weekday: "fr", day: "31", nth: -1, month: 1 });
    expect(fromSchedule({ kind: "once", start: "2025-03-10", time: null })).toMatchObject({ weekdays: ["mo"], nth: 2 });
  });
});

describe("withStart", () => {
  it("moves suggestions with the start date but keeps what was chosen", () => {
    const moved = withStart(defaultForm("2025-03-05"), "2025-03-06");
    expect(moved).toMatchObject({ start: "2025-03-06", weekdays: ["th"], day: "6" });
    const chosen = withStart({ ...defaultForm("2025-03-05"), weekdays: ["mo", "fr"] }, "2025-03-06");
    expect(chosen.weekdays).toEqual(["mo", "fr"]);
  });
});

describe("describeSchedule", () => {
  it.each<[Schedule, string]>([
    [{ kind: "weekly", every: 2, weekdays: ["th", "mo"], start: "2025-03-05", time: "07:00" }, "Every 2 weeks on Mon and Thu at 07:00"],
    [{ kind: "weekly", every: 1, weekdays: ["mo", "we", "fr"], start: "2025-03-05", time: null }, "Every week on Mon, Wed and Fri"],
    [{ kind: "monthly_weekday", every: 1, nth: -1, weekday: "fr", start: "2025-03-05", time: "19:30:00" }, "Last Friday of every month at 19:30"],
    [{ kind: "monthly_weekday", every: 3, nth: 2, weekday: "tu", start: "2025-03-05", time: null }, "2nd Tuesday of the month, every 3 months"],
    [{ kind: "after_completion", every: 3, unit: "days", start: "2025-03-05", time: null }, "3 days after it is done"],
    [{ kind: "after_completion", every: 1, unit: "weeks", start: "2025-03-05", time: "18:00" }, "1 week after it is done at 18:00"],
    [{ kind: "daily", every: 1, start: "2025-03-05", time: "08:00" }, "Every day at 08:00"],
    [{ kind: "daily", every: 2, start: "2025-03-05", time: null, count: 10 }, "Every 2 days, 10 times"],
    [{ kind: "monthly_day", every: 1, day: 1, start: "2025-03-05", time: null }, "Every month on the 1st"],
    [{ kind: "monthly_day", every: 2, day: 22, start: "2025-03-05", time: null, until: "2025-12-31" }, "Every 2 months on the 22nd, until 31 Dec 2025"],
    [{ kind: "yearly", month: 12, day: 24, start: "2025-03-05", time: "17:00" }, "Every year on 24 December at 17:00"],
    [{ kind: "once", start: "2025-03-05", time: "09:30" }, "Once on 5 Mar 2025 at 09:30"],
    [
      { kind: "weekly", every: 1, weekdays: ["sa"], start: "2025-03-05", time: "10:00", season: { start_month: 4, end_month: 10 } },
      "Every week on Sat at 10:00, only April to October",
    ],
  ])("%j reads “%s”", (schedule, text) => {
    expect(describeSchedule(schedule)).toBe(text);
  });
});

describe("scheduleProblems", () => {
  it("finds nothing wrong with a good schedule", () => {
    expect(scheduleProblems(toSchedule(defaultForm("2025-03-05")))).toEqual({});
  });

  it("names each field the API would refuse", () => {
    expect(scheduleProblems(toSchedule(form({ kind: "weekly", weekdays: [], every: "53" })))).toEqual({
      "schedule.every": "Enter a whole number from 1 to 52.",
      "schedule.weekdays": "Pick at least one day.",
    });
    expect(scheduleProblems(toSchedule(form({ kind: "daily", ending: "until", until: "2025-03-01" })))).toEqual({
      "schedule.until": "The end date cannot be before the start date.",
    });
    expect(scheduleProblems(toSchedule(form({ kind: "daily", ending: "count", count: "0", time: "" })))).toEqual({
      "schedule.count": "Enter how many times, from 1 to 1000.",
      "schedule.time": "Enter a time such as 07:30, or tick “All day”.",
    });
    expect(scheduleProblems(toSchedule(form({ kind: "monthly_day", day: "32", start: "" })))).toMatchObject({
      "schedule.day": "Enter a day from 1 to 31.",
      "schedule.start": "Choose the first date it is due.",
    });
  });

  it("spots a season that every N months never reaches", () => {
    // From March every 12 months is always March.
    const problems = scheduleProblems(toSchedule(form({ kind: "monthly_day", every: "12", day: "1", seasonal: true, seasonStart: 6, seasonEnd: 8 })));
    expect(problems["schedule.season"]).toMatch(/never lands/);
    expect(scheduleProblems(toSchedule(form({ kind: "monthly_day", every: "12", day: "1", seasonal: true, seasonStart: 2, seasonEnd: 4 })))).toEqual({});
  });
});

describe("helpers", () => {
  it("wraps seasons over the new year", () => {
    expect(seasonMonths(11, 2)).toEqual([11, 12, 1, 2]);
    expect(seasonMonths(4, 4)).toEqual([4]);
  });

  it("takes the kind out of the API's error paths and tidies its words", () => {
    expect(
      normalizeFieldErrors({
        "schedule.weekly.every": "Input should be less than or equal to 52",
        "schedule.weekly": "Value error, until must not be before start",
        title: "String should have at least 1 character",
      }),
    ).toEqual({
      "schedule.every": "Input should be less than or equal to 52",
      schedule: "Until must not be before start",
      title: "String should have at least 1 character",
    });
  });

  it("shows an all-day due time on its own day, not the next midnight", () => {
    const now = new Date("2025-03-01T12:00:00Z");
    const allDay = formatPreviewDue("2025-03-06T00:00:00Z", "UTC", true, now);
    expect(allDay).toMatch(/5/);
    expect(allDay).not.toMatch(/6/);
    expect(allDay).toMatch(/all day$/);
    const timed = formatPreviewDue("2025-03-06T07:00:00Z", "Europe/Berlin", false, now);
    expect(timed).toMatch(/6/);
    expect(timed).toMatch(/08:00|8:00/);
  });
});
