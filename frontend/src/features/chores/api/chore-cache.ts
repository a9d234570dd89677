import type { QueryClient } from "@tanstack/react-query";

import type { Schemas } from "@/lib/api/client";
import { keys } from "@/lib/query";

type Chore = Schemas["ChorePublic"];

/**
 * Rewrites one chore wherever it is cached (its detail and every chores list) and returns
 * a function that puts that chore's previous version back, for optimistic mutations. Only that
 * chore: other changes to the lists since then (another mutation, a live refresh) stay.
 */
export function patchChoreLists(
  queryClient: QueryClient,
  householdId: string,
  choreId: string,
  patch: (chore: Chore) => Chore,
): () => void {
  // Lists and the detail share the keys.chores prefix: a list holds an array, the detail one chore.
  const before: [readonly unknown[], Chore][] = [];
  for (const [key, data] of queryClient.getQueriesData<Chore[] | Chore>({ queryKey: keys.chores(householdId) })) {
    const previous = Array.isArray(data) ? data.find((chore) => chore.id === choreId) : data;
    if (!previous || previous.id !== choreId) continue;
    before.push([key, previous]);
    replaceChore(queryClient, key, choreId, patch(previous));
  }
  return () => {
    for (const [key, previous] of before) replaceChore(queryClient, key, choreId, previous);
  };
}

function replaceChore(queryClient: QueryClient, key: readonly unknown[], choreId: string, chore: Chore) {
  queryClient.setQueryData<Chore[] | Chore>(key, (data) => {
    if (Array.isArray(data)) return data.map((item) => (item.id === choreId ? chore : item));
    return data && data.id === choreId ? chore : data;
  });
}
