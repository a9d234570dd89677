import { queryOptions, useQuery } from "@tanstack/react-query";

import { api, unwrap } from "@/lib/api/client";
import { keys } from "@/lib/query";

export const getChore = (householdId: string, choreId: string) =>
  unwrap(
    api.GET("/api/households/{household_id}/chores/{chore_id}", {
      params: { path: { household_id: householdId, chore_id: choreId } },
    }),
  );

export const choreQuery = (householdId: string, choreId: string) =>
  queryOptions({ queryKey: keys.chore(householdId, choreId), queryFn: () => getChore(householdId, choreId) });

export const useChore = (householdId: string, choreId: string) => useQuery(choreQuery(householdId, choreId));
