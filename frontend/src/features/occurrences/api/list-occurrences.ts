import { type QueryClient, keepPreviousData, queryOptions, useQuery } from "@tanstack/react-query";

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

/**
 * `keepPrevious` for lists whose query moves with the clock (My day's horizon at midnight): the old
 * list stays on screen while the new one loads, instead of a full-page spinner.
 */
export const useOccurrences = (householdId: string, query: OccurrenceQuery = {}, { keepPrevious = false } = {}) =>
  useQuery({ ...occurrencesQuery(householdId, query), ...(keepPrevious ? { placeholderData: keepPreviousData } : {}) });

// --- The cache of occurrence lists, for the mutations' optimistic updates ---------------------------

/** What one optimistic change replaced: per cached list, the occurrences it changed or dropped. */
export type OccurrenceListsSnapshot = { queryKey: readonly unknown[]; before: Occurrence[] }[];

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
 * as it should now be (the same object when untouched), or null to drop it from that list.
 * Returns the previous versions of just the changed occurrences, for restoreOccurrenceLists.
 */
export async function changeOccurrenceLists(
  queryClient: QueryClient,
  householdId: string,
  change: (occurrence: Occurrence, queryKey: readonly unknown[]) => Occurrence | null,
): Promise<OccurrenceListsSnapshot> {
  // An answer already on its way would overwrite the optimistic change with the old state.
  await queryClient.cancelQueries({ queryKey: keys.occurrences(householdId) });
  const snapshot: OccurrenceListsSnapshot = [];
  for (const [queryKey, data] of queryClient.getQueriesData<unknown>({ queryKey: keys.occurrences(householdId) })) {
    if (!isOccurrenceList(data)) continue;
    const before: Occurrence[] = [];
    const next = data.flatMap((occurrence) => {
      const changed = change(occurrence, queryKey);
      if (changed !== occurrence) before.push(occurrence);
      return changed ?? [];
    });
    if (before.length === 0) continue;
    snapshot.push({ queryKey, before });
    queryClient.setQueryData(queryKey, next);
  }
  return snapshot;
}

const dueBefore = (a: Occurrence, b: Occurrence) => Date.parse(a.due_at) - Date.parse(b.due_at) || a.id.localeCompare(b.id);

/**
 * Undo one optimistic change: its occurrences go back as they were (a dropped one in due order,
 * as the server lists them). Everything else stays as it is now, such as another tap's change
 * that is still under way.
 */
export function restoreOccurrenceLists(queryClient: QueryClient, snapshot: OccurrenceListsSnapshot | undefined) {
  for (const { queryKey, before } of snapshot ?? []) {
    const current = queryClient.getQueryData<unknown>(queryKey);
    if (!isOccurrenceList(current)) continue;
    const next = [...current];
    for (const occurrence of before) {
      const at = next.findIndex((item) => item.id === occurrence.id);
      if (at >= 0) {
        next[at] = occurrence;
        continue;
      }
      const later = next.findIndex((item) => dueBefore(occurrence, item) < 0);
      next.splice(later < 0 ? next.length : later, 0, occurrence);
    }
    queryClient.setQueryData(queryKey, next);
  }
}

/**
 * After an occurrence changed: its lists, the chores (their next_due_at comes from the open
 * occurrences; this also covers each chore's detail), the scores, the history and the notification feed.
 */
export function refreshAfterOccurrenceChange(queryClient: QueryClient, householdId: string) {
  return Promise.all([
    queryClient.invalidateQueries({ queryKey: keys.occurrences(householdId) }),
    queryClient.invalidateQueries({ queryKey: keys.chores(householdId) }),
    queryClient.invalidateQueries({ queryKey: keys.leaderboard(householdId) }),
    queryClient.invalidateQueries({ queryKey: keys.completions(householdId) }),
    queryClient.invalidateQueries({ queryKey: keys.notifications() }),
  ]);
}
