import { describe, expect, it } from "vitest";

import {
  type Occurrence,
  groupByPerson,
  horizon,
  mineAndPool,
  splitByDay,
  toZonedIso,
  zonedToInstant,
} from "./occurrence-view";

function occurrence(id: string, dueAt: string, extra: Partial<Occurrence> = {}): Occurrence {
  return {
    id,
    due_at: dueAt,
    window_start: dueAt,
    all_day: false,
    status: "open",
    mode: "one_of",
    assignee_id: "me",
    assignee_name: "Me",
    assignment_reason: "fixed",
    chore_id: `chore-${id}`,
    chore_title: `Chore ${id}`,
    completed_at: null,
    completed_by: null,
    effort_minutes: 10,
    points: 1,
    for_user_id: null,
    room: null,
    ...extra,
  };
}

const ids = (items: Occurrence[]) => items.map((item) => item.id);

describe("splitByDay in the household's zone", () => {
  // 23:30 on Monday 3 March in Auckland (NZDT, +13:00) is still 10:30 UTC on the same date.
  const now = new Date("2025-03-03T10:30:00Z");
  const zone = "Pacific/Auckland";

  it("puts what is due after local midnight under coming up, even when UTC says it is the same day", () => {
    const items = [
      occurrence("after-midnight", "2025-03-03T11:15:00Z"), // 00:15 Tuesday in Auckland
      occurrence("late-tonight", "2025-03-03T10:45:00Z"), // 23:45 Monday
      occurrence("this-morning", "2025-03-02T20:00:00Z"), // 09:00 Monday, already past
      // All day on Monday: due at the midnight that ends it, so not overdue yet.
      occurrence("all-day-today", "2025-03-03T11:00:00Z", { all_day: true }),
      occurrence("in-a-week", "2025-03-10T01:00:00Z"), // 14:00 next Monday
      occurrence("too-far", "2025-03-11T01:00:00Z"), // 14:00 the Tuesday after
    ];
    const split = splitByDay(items, now, zone);
    expect(ids(split.overdue)).toEqual(["this-morning"]);
    expect(ids(split.today)).toEqual(["late-tonight", "all-day-today"]);
    expect(ids(split.comingUp)).toEqual(["after-midnight", "in-a-week"]);
  });

  it("asks the server up to the local midnight that ends the seventh day", () => {
    expect(horizon(now, zone)).toBe("2025-03-10T11:00:00.000Z"); // 00:00 Tuesday 11 March NZDT
  });
});

describe("wall-clock times in a household zone", () => {
  it("reads a datetime-local value in the household's zone, not the device's", () => {
    const instant = zonedToInstant("2025-01-15T07:30", "America/New_York");
    expect(instant?.toISOString()).toBe("2025-01-15T12:30:00.000Z");
    expect(toZonedIso(instant!, "America/New_York")).toBe("2025-01-15T07:30:00-05:00");
  });

  it("follows summer time", () => {
    const instant = zonedToInstant("2025-07-01T07:30", "Europe/Berlin");
    expect(toZonedIso(instant!, "Europe/Berlin")).toBe("2025-07-01T07:30:00+02:00");
  });

  it("handles offsets that are not whole hours", () => {
    const instant = zonedToInstant("2025-03-03T18:00", "Asia/Kolkata");
    expect(toZonedIso(instant!, "Asia/Kolkata")).toBe("2025-03-03T18:00:00+05:30");
  });
});

describe("grouping", () => {
  it("groups by person, me first, the pool after the people", () => {
    const items = [
      occurrence("pool", "2025-03-03T08:00:00Z", { mode: "pool", assignee_id: null, assignee_name: null }),
      occurrence("zoe", "2025-03-03T09:00:00Z", { assignee_id: "zoe", assignee_name: "Zoe" }),
      occurrence("mine-late", "2025-03-03T12:00:00Z"),
      occurrence("anna", "2025-03-03T10:00:00Z", { assignee_id: "anna", assignee_name: "Anna" }),
      occurrence("mine-early", "2025-03-03T07:00:00Z"),
    ];
    const groups = groupByPerson(items, "me");
    expect(groups.map((group) => group.name)).toEqual(["Me", "Anna", "Zoe", "Up for grabs"]);
    expect(ids(groups[0]!.items)).toEqual(["mine-early", "mine-late"]);
  });

  it("shows my day as mine plus unclaimed pool items, once each", () => {
    const mine = [occurrence("a", "2025-03-03T08:00:00Z")];
    const everyone = [
      ...mine,
      occurrence("pool", "2025-03-03T09:00:00Z", { mode: "pool", assignee_id: null, assignee_name: null }),
      occurrence("theirs", "2025-03-03T09:00:00Z", { assignee_id: "zoe", assignee_name: "Zoe" }),
      occurrence("claimed-by-me", "2025-03-03T10:00:00Z", { mode: "pool" }),
    ];
    expect(ids(mineAndPool(mine, everyone, "me"))).toEqual(["a", "pool", "claimed-by-me"]);
  });
});
