import { queryOptions, useQuery } from "@tanstack/react-query";

import { api, unwrap } from "@/lib/api/client";
import { keys } from "@/lib/query";

type Filter = { includeArchived?: boolean };

export const listChores = (householdId: string, { includeArchived = false }: Filter = {}) =>
  unwrap(
    api.GET("/api/households/{household_id}/chores", {
      params: { path: { household_id: householdId }, query: { include_archived: includeArchived } },
    }),
  ).then((page) => page.data);

export const choresQuery = (householdId: string, filter: Filter = {}) =>
  queryOptions({
    queryKey: [...keys.chores(householdId), { includeArchived: filter.includeArchived ?? false }] as const,
    queryFn: () => listChores(householdId, filter),
  });

export const useChores = (householdId: string, filter: Filter = {}) => useQuery(choresQuery(householdId, filter));
