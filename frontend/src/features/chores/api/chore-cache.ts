import type { QueryClient } from "@tanstack/react-query";

import type { Schemas } from "@/lib/api/client";
import { keys } from "@/lib/query";

type Chore = Schemas["ChorePublic"];

/**
 * Rewrites one chore wherever it is cached (its detail and every chores list) and returns
 * a function that puts the previous data back, for optimistic mutations.
 */
export function patchChoreLists(
  queryClient: QueryClient,
  householdId: string,
  choreId: string,
  patch: (chore: Chore) => Chore,
): () => void {
  // Lists and the detail share the keys.chores prefix: a list holds an array, the detail one chore.
  const saved = queryClient.getQueriesData<Chore[] | Chore>({ queryKey: keys.chores(householdId) });
  for (const [key, data] of saved) {
    if (Array.isArray(data)) {
      queryClient.setQueryData<Chore[]>(key, data.map((chore) => (chore.id === choreId ? patch(chore) : chore)));
    } else if (data && data.id === choreId) {
      queryClient.setQueryData<Chore>(key, patch(data));
    }
  }
  return () => {
    for (const [key, data] of saved) queryClient.setQueryData(key, data);
  };
}
