import { useMutation, useQueryClient } from "@tanstack/react-query";
import { toast } from "sonner";

import { type Schemas, api, errorMessage, unwrap } from "@/lib/api/client";

import { changeOccurrenceLists, onlyOpen, refreshAfterOccurrenceChange, restoreOccurrenceLists } from "./list-occurrences";

export const skipOccurrence = (householdId: string, occurrenceId: string) =>
  unwrap(
    api.POST("/api/households/{household_id}/occurrences/{occurrence_id}/skip", {
      params: { path: { household_id: householdId, occurrence_id: occurrenceId } },
    }),
  );

type Occurrence = Schemas["OccurrencePublic"];

export function useSkipOccurrence(
  householdId: string,
  options: { onSuccess?: (result: Schemas["CompletionPublic"], occurrence: Occurrence) => void } = {},
) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (occurrence: Occurrence) => skipOccurrence(householdId, occurrence.id),
    onMutate: (occurrence) =>
      changeOccurrenceLists(queryClient, householdId, (item, queryKey) => {
        if (item.id !== occurrence.id) return item;
        return onlyOpen(queryKey) ? null : { ...item, status: "skipped" };
      }),
    onError: (error, _occurrence, snapshot) => {
      restoreOccurrenceLists(queryClient, snapshot);
      toast.error(errorMessage(error));
    },
    onSuccess: (result, occurrence) => options.onSuccess?.(result, occurrence),
    onSettled: () => refreshAfterOccurrenceChange(queryClient, householdId),
  });
}
