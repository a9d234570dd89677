import { useMutation, useQueryClient } from "@tanstack/react-query";

import { api, unwrap } from "@/lib/api/client";
import { keys } from "@/lib/query";

export const deleteHousehold = (householdId: string) =>
  unwrap(api.DELETE("/api/households/{household_id}", { params: { path: { household_id: householdId } } }));

export function useDeleteHousehold(householdId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: () => deleteHousehold(householdId),
    onSuccess: () => {
      queryClient.removeQueries({ queryKey: keys.household(householdId) });
      return queryClient.invalidateQueries({ queryKey: keys.households() });
    },
  });
}
