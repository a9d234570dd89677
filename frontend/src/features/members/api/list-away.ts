import { queryOptions, useQuery } from "@tanstack/react-query";

import { api, unwrap } from "@/lib/api/client";
import { keys } from "@/lib/query";

export const listAway = (householdId: string) =>
  unwrap(api.GET("/api/households/{household_id}/away", { params: { path: { household_id: householdId } } })).then(
    (page) => page.data,
  );

export const awayQuery = (householdId: string) =>
  queryOptions({ queryKey: keys.away(householdId), queryFn: () => listAway(householdId) });

export const useAway = (householdId: string) => useQuery(awayQuery(householdId));
