import { useMutation, useQueryClient } from "@tanstack/react-query";

import { type Schemas, api, unwrap } from "@/lib/api/client";

import { refreshAfterOccurrenceChange } from "./list-occurrences";

export const reassignOccurrence = (householdId: string, occurrenceId: string, body: Schemas["ReassignRequest"]) =>
  unwrap(
    api.POST("/api/households/{household_id}/occurrences/{occurrence_id}/reassign", {
      params: { path: { household_id: householdId, occurrence_id: occurrenceId } },
      body,
    }),
  );

export type ReassignVariables = { occurrenceId: string; body: Schemas["ReassignRequest"] };

// Not optimistic: the dialog shows the server's refusal (an "each of" chore, a former member) in place.
export function useReassignOccurrence(householdId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ occurrenceId, body }: ReassignVariables) => reassignOccurrence(householdId, occurrenceId, body),
    onSettled: () => refreshAfterOccurrenceChange(queryClient, householdId),
  });
}
