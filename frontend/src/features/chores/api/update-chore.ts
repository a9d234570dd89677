import { useMutation, useQueryClient } from "@tanstack/react-query";

import { type Schemas, api, unwrap } from "@/lib/api/client";
import { keys } from "@/lib/query";

import { patchChoreLists } from "./chore-cache";

export const updateChore = (householdId: string, choreId: string, body: Schemas["ChoreUpdate"]) =>
  unwrap(
    api.PATCH("/api/households/{household_id}/chores/{chore_id}", {
      params: { path: { household_id: householdId, chore_id: choreId } },
      body,
    }),
  );

/** Saves changes; a pause toggle shows at once and rolls back if the server refuses it. */
export function useUpdateChore(householdId: string, choreId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: Schemas["ChoreUpdate"]) => updateChore(householdId, choreId, body),
    onMutate: async (body) => {
      if (typeof body.paused !== "boolean" || Object.keys(body).length !== 1) return undefined;
      const paused = body.paused;
      await queryClient.cancelQueries({ queryKey: keys.chores(householdId) });
      return patchChoreLists(queryClient, householdId, choreId, (chore) => ({ ...chore, paused }));
    },
    onError: (_error, _body, rollback) => rollback?.(),
    onSuccess: (chore) => {
      queryClient.setQueryData(keys.chore(householdId, choreId), chore);
      patchChoreLists(queryClient, householdId, choreId, () => chore);
    },
    onSettled: () =>
      Promise.all([
        queryClient.invalidateQueries({ queryKey: keys.chores(householdId) }),
        // Schedule, people or pause changes recompute the open occurrence.
        queryClient.invalidateQueries({ queryKey: keys.occurrences(householdId) }),
      ]),
  });
}
