import { useMutation, useQueryClient } from "@tanstack/react-query";

import { type Schemas, api, unwrap } from "@/lib/api/client";
import { keys } from "@/lib/query";

type Away = Schemas["AwayPublic"];

export const cancelAway = (householdId: string, awayId: string) =>
  unwrap(
    api.DELETE("/api/households/{household_id}/away/{away_id}", {
      params: { path: { household_id: householdId, away_id: awayId } },
    }),
  );

export function useCancelAway(householdId: string) {
  const queryClient = useQueryClient();
  const key = keys.away(householdId);
  return useMutation({
    mutationFn: (awayId: string) => cancelAway(householdId, awayId),
    onMutate: async (awayId) => {
      await queryClient.cancelQueries({ queryKey: key });
      const previous = queryClient.getQueryData<Away[]>(key);
      queryClient.setQueryData<Away[]>(key, (periods) => periods?.filter((period) => period.id !== awayId));
      return { previous };
    },
    onError: (_error, _awayId, context) => {
      if (context?.previous) queryClient.setQueryData(key, context.previous);
    },
    onSettled: () =>
      Promise.all([
        queryClient.invalidateQueries({ queryKey: key }),
        queryClient.invalidateQueries({ queryKey: keys.occurrences(householdId) }),
      ]),
  });
}
