import { useMutation, useQueryClient } from "@tanstack/react-query";
import { toast } from "sonner";

import { api, errorMessage, unwrap } from "@/lib/api/client";

import { refreshAfterOccurrenceChange } from "./list-occurrences";

/** Reopens a completed occurrence (within 24 hours; later the server answers 410). */
export const undoCompletion = (householdId: string, occurrenceId: string) =>
  unwrap(
    api.POST("/api/households/{household_id}/occurrences/{occurrence_id}/undo", {
      params: { path: { household_id: householdId, occurrence_id: occurrenceId } },
    }),
  );

export function useUndoCompletion(householdId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (occurrenceId: string) => undoCompletion(householdId, occurrenceId),
    onSuccess: () => {
      toast.success("Reopened");
    },
    onError: (error) => {
      toast.error(errorMessage(error));
    },
    onSettled: () => refreshAfterOccurrenceChange(queryClient, householdId),
  });
}
