import { useMutation, useQueryClient } from "@tanstack/react-query";

import { type Schemas, api, unwrap } from "@/lib/api/client";
import { keys } from "@/lib/query";

export const updateHousehold = (householdId: string, body: Schemas["HouseholdUpdate"]) =>
  unwrap(api.PATCH("/api/households/{household_id}", { params: { path: { household_id: householdId } }, body }));

export function useUpdateHousehold(householdId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: Schemas["HouseholdUpdate"]) => updateHousehold(householdId, body),
    onSuccess: (household) => {
      queryClient.setQueryData(keys.household(householdId), household);
      return queryClient.invalidateQueries({ queryKey: keys.households() });
    },
  });
}
