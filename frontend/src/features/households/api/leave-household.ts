import { useMutation, useQueryClient } from "@tanstack/react-query";

import { api, unwrap } from "@/lib/api/client";
import { keys } from "@/lib/query";

export const leaveHousehold = (householdId: string) =>
  unwrap(api.POST("/api/households/{household_id}/leave", { params: { path: { household_id: householdId } } }));

export function useLeaveHousehold(householdId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: () => leaveHousehold(householdId),
    onSuccess: () => {
      queryClient.removeQueries({ queryKey: keys.household(householdId) });
      return queryClient.invalidateQueries({ queryKey: keys.households() });
    },
  });
}
