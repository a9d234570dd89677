import { useMutation, useQueryClient } from "@tanstack/react-query";

import { type Schemas, api, unwrap } from "@/lib/api/client";
import { keys } from "@/lib/query";

export const setAway = (householdId: string, body: Schemas["AwayCreate"]) =>
  unwrap(api.POST("/api/households/{household_id}/away", { params: { path: { household_id: householdId } }, body }));

export function useSetAway(householdId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: Schemas["AwayCreate"]) => setAway(householdId, body),
    // Chores planned for those days are handed on to someone else.
    onSuccess: () =>
      Promise.all([
        queryClient.invalidateQueries({ queryKey: keys.away(householdId) }),
        queryClient.invalidateQueries({ queryKey: keys.occurrences(householdId) }),
      ]),
  });
}
