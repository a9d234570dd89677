import { queryOptions, useQuery } from "@tanstack/react-query";

import { api, unwrap } from "@/lib/api/client";
import { keys } from "@/lib/query";

export const getHousehold = (householdId: string) =>
  unwrap(api.GET("/api/households/{household_id}", { params: { path: { household_id: householdId } } }));

export const householdQuery = (householdId: string) =>
  queryOptions({ queryKey: keys.household(householdId), queryFn: () => getHousehold(householdId) });

export const useHousehold = (householdId: string) => useQuery(householdQuery(householdId));
