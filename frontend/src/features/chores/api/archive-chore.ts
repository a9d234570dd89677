import { useMutation, useQueryClient } from "@tanstack/react-query";

import { api, unwrap } from "@/lib/api/client";
import { keys } from "@/lib/query";

import { patchChoreLists } from "./chore-cache";

export const archiveChore = (householdId: string, choreId: string) =>
  unwrap(
    api.POST("/api/households/{household_id}/chores/{chore_id}/archive", {
      params: { path: { household_id: householdId, chore_id: choreId } },
    }),
  );

/** Archives at once in every cached list and the detail; rolls back if the server refuses. */
export function useArchiveChore(householdId: string, choreId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: () => archiveChore(householdId, choreId),
    onMutate: async () => {
      await queryClient.cancelQueries({ queryKey: keys.chores(householdId) });
      return patchChoreLists(queryClient, householdId, choreId, (chore) => ({ ...chore, archived: true, next_due_at: null }));
    },
    onError: (_error, _vars, rollback) => rollback?.(),
    onSettled: () =>
      Promise.all([
        queryClient.invalidateQueries({ queryKey: keys.chores(householdId) }),
        // Its open occurrences are withdrawn.
        queryClient.invalidateQueries({ queryKey: keys.occurrences(householdId) }),
      ]),
  });
}
