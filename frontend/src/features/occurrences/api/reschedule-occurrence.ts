import { useMutation, useQueryClient } from "@tanstack/react-query";

import { type Schemas, api, unwrap } from "@/lib/api/client";

import { refreshAfterOccurrenceChange } from "./list-occurrences";

/** Moves one occurrence; `due_at` carries its UTC offset (the chore's schedule stays). */
export const rescheduleOccurrence = (householdId: string, occurrenceId: string, body: Schemas["RescheduleRequest"]) =>
  unwrap(
    api.POST("/api/households/{household_id}/occurrences/{occurrence_id}/reschedule", {
      params: { path: { household_id: householdId, occurrence_id: occurrenceId } },
      body,
    }),
  );

export type RescheduleVariables = { occurrenceId: string; body: Schemas["RescheduleRequest"] };

// Not optimistic: the dialog stays open with the server's answer (e.g. a clash) until it succeeds.
export function useRescheduleOccurrence(householdId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ occurrenceId, body }: RescheduleVariables) => rescheduleOccurrence(householdId, occurrenceId, body),
    onSettled: () => refreshAfterOccurrenceChange(queryClient, householdId),
  });
}
