import { QueryClient } from "@tanstack/react-query";

import { ApiError } from "@/lib/api/client";

export function createQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        staleTime: 30_000,
        // A 4xx will not get better by asking again; network errors and 5xx might.
        retry: (failures, error) =>
          !(error instanceof ApiError && error.status >= 400 && error.status < 500) && failures < 2,
      },
      mutations: { retry: false },
    },
  });
}

/**
 * Every cache key, in one place, so the live client and mutations invalidate by the same names.
 * Keys nest: invalidating `keys.household(id)` refreshes everything about that household.
 */
export const keys = {
  me: () => ["me"] as const,
  households: () => ["households"] as const,
  household: (householdId: string) => ["household", householdId] as const,
  members: (householdId: string) => ["household", householdId, "members"] as const,
  invites: (householdId: string) => ["household", householdId, "invites"] as const,
  away: (householdId: string) => ["household", householdId, "away"] as const,
  chores: (householdId: string) => ["household", householdId, "chores"] as const,
  chore: (householdId: string, choreId: string) => ["household", householdId, "chores", choreId] as const,
  occurrences: (householdId: string) => ["household", householdId, "occurrences"] as const,
  completions: (householdId: string) => ["household", householdId, "completions"] as const,
  leaderboard: (householdId: string) => ["household", householdId, "leaderboard"] as const,
  notifications: () => ["notifications"] as const,
  notificationSettings: () => ["notification-settings"] as const,
  calendarFeeds: () => ["calendar-feeds"] as const,
};
