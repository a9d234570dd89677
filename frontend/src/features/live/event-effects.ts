import type { QueryClient, QueryKey } from "@tanstack/react-query";

import { keys } from "@/lib/query";

import type { RelayEvent } from "./relay-client";

/**
 * What a relay event means for the cache: which queries are now stale. Returns true when the event
 * says the signed-in user lost the household (left, removed, or it was deleted).
 */
export function applyRelayEvent(queryClient: QueryClient, event: RelayEvent, myUserId: string | undefined): boolean {
  const h = event.household_id;
  const invalidate = (...queryKeys: QueryKey[]) => {
    for (const queryKey of queryKeys) void queryClient.invalidateQueries({ queryKey });
  };
  const [domain] = event.event.split(".");
  switch (domain) {
    case "occurrence":
      // Completions move the leaderboard and history; assignments make notifications; a chore's
      // "next due" comes from its open occurrences.
      invalidate(keys.occurrences(h), keys.chores(h), keys.leaderboard(h), keys.completions(h), keys.notifications());
      return false;
    case "chore":
      invalidate(keys.chores(h), keys.occurrences(h));
      return false;
    case "member": {
      const subject = event.payload.user_id;
      if (event.event === "member.removed" || event.event === "member.left") {
        if (myUserId !== undefined && subject === myUserId) {
          forgetHousehold(queryClient, h);
          return true;
        }
        if (myUserId === undefined) {
          // Cannot tell whether it was us: refetch everything about it (a 404 shows "not found").
          invalidate(keys.household(h), keys.households(), keys.notifications());
          return false;
        }
      }
      invalidate(keys.members(h), keys.household(h), keys.households());
      if (event.event !== "member.role_changed" && event.event !== "member.updated") invalidate(keys.notifications());
      // Names appear on occurrences, history and the leaderboard; leaving frees occurrences.
      if (event.event !== "member.joined" && event.event !== "member.role_changed") {
        invalidate(keys.occurrences(h), keys.completions(h), keys.leaderboard(h));
      }
      return false;
    }
    case "invite":
      invalidate(keys.invites(h));
      return false;
    case "away":
      invalidate(keys.away(h), keys.occurrences(h), keys.members(h));
      return false;
    case "household":
      if (event.event === "household.deleted") {
        forgetHousehold(queryClient, h);
        return true;
      }
      invalidate(keys.household(h), keys.households());
      return false;
    default:
      return false;
  }
}

/**
 * The household is no longer the user's: drop what is cached about it. Screens still showing it
 * refetch, get a 404 and show "not found" instead of stale data.
 */
export function forgetHousehold(queryClient: QueryClient, householdId: string): void {
  queryClient.removeQueries({ queryKey: keys.household(householdId), type: "inactive" });
  void queryClient.resetQueries({ queryKey: keys.household(householdId) });
  void queryClient.invalidateQueries({ queryKey: keys.households() });
  void queryClient.invalidateQueries({ queryKey: keys.notifications() });
}
