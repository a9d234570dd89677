import { keepPreviousData, queryOptions, useQuery } from "@tanstack/react-query";

import { api, unwrap } from "@/lib/api/client";
import { keys } from "@/lib/query";

export const getLeaderboard = (householdId: string, days: number) =>
  unwrap(
    api.GET("/api/households/{household_id}/leaderboard", {
      params: { path: { household_id: householdId }, query: { days } },
    }),
  );

export const leaderboardQuery = (householdId: string, days: number) =>
  queryOptions({
    queryKey: [...keys.leaderboard(householdId), days],
    queryFn: () => getLeaderboard(householdId, days),
    // Switching the period keeps the last table on screen until the new one arrives.
    placeholderData: keepPreviousData,
  });

export const useLeaderboard = (householdId: string, days: number) => useQuery(leaderboardQuery(householdId, days));
