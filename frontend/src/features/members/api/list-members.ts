import { queryOptions, useQuery } from "@tanstack/react-query";

import { api, unwrap } from "@/lib/api/client";
import { keys } from "@/lib/query";

export const listMembers = (householdId: string) =>
  unwrap(api.GET("/api/households/{household_id}/members", { params: { path: { household_id: householdId } } })).then(
    (page) => page.data,
  );

export const membersQuery = (householdId: string) =>
  queryOptions({ queryKey: keys.members(householdId), queryFn: () => listMembers(householdId) });

export const useMembers = (householdId: string) => useQuery(membersQuery(householdId));
