import { useMutation, useQueryClient } from "@tanstack/react-query";

import { type Schemas, api, unwrap } from "@/lib/api/client";
import { keys } from "@/lib/query";

export const createHousehold = (body: Schemas["HouseholdCreate"]) => unwrap(api.POST("/api/households", { body }));

export function useCreateHousehold() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: createHousehold,
    onSuccess: () => queryClient.invalidateQueries({ queryKey: keys.households() }),
  });
}
