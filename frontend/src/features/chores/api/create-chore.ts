import { useMutation, useQueryClient } from "@tanstack/react-query";

import { type Schemas, api, unwrap } from "@/lib/api/client";
import { keys } from "@/lib/query";

export const createChore = (householdId: string, body: Schemas["ChoreCreate"]) =>
  unwrap(api.POST("/api/households/{household_id}/chores", { params: { path: { household_id: householdId } }, body }));

export function useCreateChore(householdId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: Schemas["ChoreCreate"]) => createChore(householdId, body),
    onSuccess: (chore) => {
      queryClient.setQueryData(keys.chore(householdId, chore.id), chore);
      // Its first occurrence is scheduled at once, so the board and My day change too.
      return Promise.all([
        queryClient.invalidateQueries({ queryKey: keys.chores(householdId) }),
        queryClient.invalidateQueries({ queryKey: keys.occurrences(householdId) }),
      ]);
    },
  });
}
