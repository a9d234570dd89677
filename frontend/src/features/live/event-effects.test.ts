import { QueryClient } from "@tanstack/react-query";
import { beforeEach, describe, expect, it, vi } from "vitest";

import { keys } from "@/lib/query";

import { applyRelayEvent } from "./event-effects";
import type { RelayEvent } from "./relay-client";

const H = "11111111-1111-1111-1111-111111111111";
const OTHER = "33333333-3333-3333-3333-333333333333";
const ME = "aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa";
const SOMEONE = "bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb";

function event(type: string, payload: Record<string, unknown> = {}): RelayEvent {
  return { household_id: H, seq: 1, event: type, payload, created_at: "2025-01-01T00:00:00+00:00" };
}

let queryClient: QueryClient;
let invalidated: () => unknown[];

beforeEach(() => {
  queryClient = new QueryClient();
  const spy = vi.spyOn(queryClient, "invalidateQueries");
  invalidated = () => spy.mock.calls.map(([filters]) => filters?.queryKey);
});

describe("applyRelayEvent", () => {
  it("occurrence events refresh occurrences, chores (next due), leaderboard, completions and notifications", () => {
    expect(applyRelayEvent(queryClient, event("occurrence.completed"), ME)).toBe(false);
    expect(invalidated()).toEqual([
      keys.occurrences(H),
      keys.chores(H),
      keys.leaderboard(H),
      keys.completions(H),
      keys.notifications(),
    ]);
  });

  it("chore events refresh chores and occurrences", () => {
    applyRelayEvent(queryClient, event("chore.archived", { chore_id: "c" }), ME);
    expect(invalidated()).toEqual([keys.chores(H), keys.occurrences(H)]);
  });

  it("member events about someone else refresh members and the household", () => {
    applyRelayEvent(queryClient, event("member.role_changed", { user_id: SOMEONE, role: "admin" }), ME);
    expect(invalidated()).toEqual([keys.members(H), keys.household(H), keys.households()]);
  });

  it("invite, away and household.updated events", () => {
    applyRelayEvent(queryClient, event("invite.created"), ME);
    expect(invalidated()).toEqual([keys.invites(H)]);
    applyRelayEvent(queryClient, event("away.set", { user_id: SOMEONE }), ME);
    expect(invalidated()).toContainEqual(keys.away(H));
    expect(invalidated()).toContainEqual(keys.occurrences(H));
    applyRelayEvent(queryClient, event("household.updated", { name: "Home" }), ME);
    expect(invalidated().slice(-2)).toEqual([keys.household(H), keys.households()]);
  });

  it.each(["member.removed", "member.left"])("%s about me drops the household", (type) => {
    queryClient.setQueryData(keys.chores(H), ["cached"]);
    queryClient.setQueryData(keys.chores(OTHER), ["kept"]);
    expect(applyRelayEvent(queryClient, event(type, { user_id: ME }), ME)).toBe(true);
    expect(queryClient.getQueryData(keys.chores(H))).toBeUndefined();
    expect(queryClient.getQueryData(keys.chores(OTHER))).toEqual(["kept"]);
    expect(invalidated()).toContainEqual(keys.households());
  });

  it("member.removed about someone else keeps the household", () => {
    queryClient.setQueryData(keys.chores(H), ["cached"]);
    expect(applyRelayEvent(queryClient, event("member.removed", { user_id: SOMEONE }), ME)).toBe(false);
    expect(queryClient.getQueryData(keys.chores(H))).toEqual(["cached"]);
    expect(invalidated()).toContainEqual(keys.members(H));
  });

  it("household.deleted drops the household", () => {
    queryClient.setQueryData(keys.household(H), { id: H });
    expect(applyRelayEvent(queryClient, event("household.deleted"), ME)).toBe(true);
    expect(queryClient.getQueryData(keys.household(H))).toBeUndefined();
    expect(invalidated()).toContainEqual(keys.households());
  });

  it("ignores event types it does not know", () => {
    expect(applyRelayEvent(queryClient, event("weather.changed"), ME)).toBe(false);
    expect(invalidated()).toEqual([]);
  });
});
