import { describe, expect, it } from "vitest";

import type { Schemas } from "@/lib/api/client";

import { choreBody, choreChanges, choreProblems, choreValues } from "./chore-values";

const members: Schemas["MemberPublic"][] = [
  { user_id: "u1", display_name: "Ana", email: null, role: "owner", joined_at: "2024-01-01T00:00:00Z" },
  { user_id: "u2", display_name: "Ben", email: null, role: "member", joined_at: "2024-01-02T00:00:00Z" },
  { user_id: "u3", display_name: "Cy", email: null, role: "child", joined_at: "2024-01-03T00:00:00Z" },
];

const chore: Schemas["ChorePublic"] = {
  id: "c1",
  household_id: "h1",
  title: "Bins",
  notes: "Blue one on Thursdays",
  room: "Kitchen",
  labels: ["outside"],
  effort_minutes: 10,
  points: 2,
  eligible: [
    { user_id: "u3", display_name: "Cy" },
    { user_id: "u1", display_name: "Ana" },
  ],
  strategy: "round_robin",
  mode: "one_of",
  missed_policy: "roll_forward",
  schedule: { kind: "weekly", every: 1, weekdays: ["th"], start: "2025-03-06", time: "19:00:00", until: null, count: null, season: null },
  rule: "DTSTART:20250306T190000\nRRULE:FREQ=WEEKLY;BYDAY=TH",
  paused: false,
  archived: false,
  next_due_at: "2025-03-06T19:00:00Z",
  created_at: "2025-03-01T00:00:00Z",
};

describe("chore form values", () => {
  it("lists the chore's people first, in rotation order", () => {
    const values = choreValues(chore, members);
    expect(values.order).toEqual(["u3", "u1", "u2"]);
    expect(values.eligible).toEqual(["u3", "u1"]);
    expect(choreBody(values).eligible).toEqual(["u3", "u1"]);
  });

  it("changes nothing when nothing was changed, even with the API's spelling of the schedule", () => {
    expect(choreChanges(chore, choreBody(choreValues(chore, members)))).toEqual({});
  });

  it("sends only what changed; an emptied room is cleared", () => {
    const values = { ...choreValues(chore, members), title: " Bins out ", room: "  ", points: "3" };
    expect(choreChanges(chore, choreBody(values))).toEqual({ title: "Bins out", room: null, points: 3 });
    const reordered = { ...choreValues(chore, members), order: ["u1", "u3", "u2"] };
    expect(choreChanges(chore, choreBody(reordered))).toEqual({ eligible: ["u1", "u3"] });
    const moved = { ...choreValues(chore, members), schedule: { ...chore.schedule, time: "20:00" } };
    expect(choreChanges(chore, choreBody(moved))).toEqual({ schedule: { ...chore.schedule, time: "20:00" } });
  });

  it("checks numbers and people before sending", () => {
    const values = { ...choreValues(chore, members), title: "   ", effort: "0", points: "x", eligible: [] };
    expect(choreProblems(choreBody(values))).toEqual({
      title: "Give the chore a title, e.g. “Take out the bins”.",
      effort_minutes: "Enter the minutes it takes, from 1 to 1440.",
      points: "Enter points from 0 to 1000.",
      eligible: "Pick at least one person.",
    });
  });
});
