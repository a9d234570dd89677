import { useMutation, useQueryClient } from "@tanstack/react-query";
import { toast } from "sonner";

import { type Schemas, api, errorMessage, unwrap } from "@/lib/api/client";

import { changeOccurrenceLists, refreshAfterOccurrenceChange, restoreOccurrenceLists } from "./list-occurrences";

/** Takes an unclaimed occurrence of a pool chore (409 when someone was quicker). */
export const claimOccurrence = (householdId: string, occurrenceId: string) =>
  unwrap(
    api.POST("/api/households/{household_id}/occurrences/{occurrence_id}/claim", {
      params: { path: { household_id: householdId, occurrence_id: occurrenceId } },
    }),
  );

export type ClaimVariables = { occurrence: Schemas["OccurrencePublic"]; me: { id: string; name: string } | undefined };

export function useClaimOccurrence(householdId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ occurrence }: ClaimVariables) => claimOccurrence(householdId, occurrence.id),
    onMutate: ({ occurrence, me }) =>
      changeOccurrenceLists(queryClient, householdId, (item) =>
        item.id === occurrence.id && me
          ? { ...item, assignee_id: me.id, assignee_name: me.name, assignment_reason: "claimed from the pool" }
          : item,
      ),
    onError: (error, _variables, snapshot) => {
      restoreOccurrenceLists(queryClient, snapshot);
      toast.error(errorMessage(error));
    },
    onSettled: () => refreshAfterOccurrenceChange(queryClient, householdId),
  });
}
