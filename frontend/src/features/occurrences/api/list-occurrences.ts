import { type QueryClient, queryOptions, useQuery } from "@tanstack/react-query";

import { type Schemas, api, unwrap } from "@/lib/api/client";
import type { operations } from "@/lib/api/schema";
import { keys } from "@/lib/query";

type Occurrence = Schemas["OccurrencePublic"];

export type OccurrenceQuery = NonNullable<operations["list_occurrences"]["parameters"]["query"]>;

export const listOccurrences = (householdId: string, query: OccurrenceQuery = {}) =>
  unwrap(
    api.GET("/api/households/{household_id}/occurrences", { params: { path: { household_id: householdId }, query } }),
  ).then((page) => page.data);

export const occurrencesQuery = (householdId: string, query: OccurrenceQuery = {}) =>
  queryOptions({ queryKey: [...keys.occurrences(householdId), query], queryFn: () => listOccurrences(householdId, query) });

export const useOccurrences = (householdId: string, query: OccurrenceQuery = {}) =>
  useQuery(occurrencesQuery(householdId, query));

// --- The cache of occurrence lists, for the mutations' optimistic updates ---------------------------

export type OccurrenceListsSnapshot = [readonly unknown[], unknown][];

const isOccurrenceList = (data: unknown): data is Occurrence[] =>
  Array.isArray(data) && data.every((item) => typeof item === "object" && item !== null && "due_at" in item && "status" in item);

/** Whether a cached list (by the query in its key) only holds open occurrences. */
export const onlyOpen = (queryKey: readonly unknown[]) => {
  const query = queryKey[3];
  if (typeof query !== "object" || query === null || !("status" in query)) return false;
  const status = (query as { status?: unknown }).status;
  return Array.isArray(status) && status.length > 0 && !status.some((name) => name !== "open");
};

/**
 * Change every cached occurrence list of the household at once: `change` returns the occurrence
 * as it should now be, or null to drop it from that list. Returns what to restore on failure.
 */
export async function changeOccurrenceLists(
  queryClient: QueryClient,
  householdId: string,
  change: (occurrence: Occurrence, queryKey: readonly unknown[]) => Occurrence | null,
): Promise<OccurrenceListsSnapshot> {
  // An answer already on its way would overwrite the optimistic change with the old state.
  await queryClient.cancelQueries({ queryKey: keys.occurrences(householdId) });
  const snapshot = queryClient.getQueriesData<unknown>({ queryKey: keys.occurrences(householdId) });
  for (const [queryKey, data] of snapshot) {
    if (!isOccurrenceList(data)) continue;
    queryClient.setQueryData(
      queryKey,
      data.flatMap((occurrence) => change(occurrence, queryKey) ?? []),
    );
  }
  return snapshot;
}

export function restoreOccurrenceLists(queryClient: QueryClient, snapshot: OccurrenceListsSnapshot | undefined) {
  for (const [queryKey, data] of snapshot ?? []) queryClient.setQueryData(queryKey, data);
}

/** After an occurrence changed: its lists, the scores, the history and the notification feed. */
export function refreshAfterOccurrenceChange(queryClient: QueryClient, householdId: string) {
  return Promise.all([
    queryClient.invalidateQueries({ queryKey: keys.occurrences(householdId) }),
    queryClient.invalidateQueries({ queryKey: keys.leaderboard(householdId) }),
    queryClient.invalidateQueries({ queryKey: keys.completions(householdId) }),
    queryClient.invalidateQueries({ queryKey: keys.notifications() }),
  ]);
}
