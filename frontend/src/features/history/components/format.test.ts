import { describe, expect, it } from "vitest";

import { describeEntry, formatMinutes, formatPoints } from "./format";

const dishes = { chore_title: "Dishes", credited_name: "Bob", points: 2, effort_minutes: 10 };

describe("describeEntry", () => {
  it("says who did what, for how long and for how many points", () => {
    expect(describeEntry({ ...dishes, event: "done" })).toBe("Bob did Dishes · 10 min · +2 points");
  });

  it("marks an undo and takes its numbers back", () => {
    expect(describeEntry({ ...dishes, event: "undone", points: -2, effort_minutes: -10 })).toBe("Dishes by Bob was undone · −10 min · −2 points");
    expect(describeEntry({ ...dishes, event: "undone" })).toBe("Dishes by Bob was undone · −10 min · −2 points");
  });

  it("marks skips and misses without numbers", () => {
    expect(describeEntry({ ...dishes, event: "skipped", points: 0, effort_minutes: 0 })).toBe("Dishes was skipped (Bob’s turn)");
    expect(describeEntry({ ...dishes, event: "missed", credited_name: null })).toBe("Dishes was missed");
  });

  it("leaves out what is zero", () => {
    expect(describeEntry({ ...dishes, event: "done", points: 0, effort_minutes: 0, credited_name: null })).toBe("Someone did Dishes");
  });
});

describe("formatMinutes and formatPoints", () => {
  it("read naturally", () => {
    expect(formatMinutes(45)).toBe("45 min");
    expect(formatMinutes(60)).toBe("1 h");
    expect(formatMinutes(125)).toBe("2 h 5 min");
    expect(formatMinutes(-90)).toBe("−1 h 30 min");
    expect(formatPoints(1)).toBe("+1 point");
    expect(formatPoints(-3)).toBe("−3 points");
  });
});
