import { infiniteQueryOptions, useInfiniteQuery } from "@tanstack/react-query";

import { type Schemas, api, unwrap } from "@/lib/api/client";
import { keys } from "@/lib/query";

type Filter = { choreId?: string; userId?: string; limit?: number };

export const listCompletions = (householdId: string, filter: Filter, cursor?: Schemas["HistoryCursor"] | null) =>
  unwrap(
    api.GET("/api/households/{household_id}/completions", {
      params: {
        path: { household_id: householdId },
        query: {
          chore_id: filter.choreId ?? null,
          user_id: filter.userId ?? null,
          limit: filter.limit ?? 50,
          before: cursor?.before ?? null,
          before_id: cursor?.before_id ?? null,
        },
      },
    }),
  );

/** The household's history, newest first, a page at a time (`fetchNextPage` follows `next`). */
export const completionsQuery = (householdId: string, filter: Filter = {}) =>
  infiniteQueryOptions({
    queryKey: [...keys.completions(householdId), filter],
    queryFn: ({ pageParam }) => listCompletions(householdId, filter, pageParam),
    initialPageParam: null as Schemas["HistoryCursor"] | null,
    getNextPageParam: (page) => page.next,
  });

export const useCompletions = (householdId: string, filter: Filter = {}) =>
  useInfiniteQuery(completionsQuery(householdId, filter));
