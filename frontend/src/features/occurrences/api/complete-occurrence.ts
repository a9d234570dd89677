import { useMutation, useQueryClient } from "@tanstack/react-query";
import { toast } from "sonner";

import { type Schemas, api, errorMessage, unwrap } from "@/lib/api/client";

import { changeOccurrenceLists, onlyOpen, refreshAfterOccurrenceChange, restoreOccurrenceLists } from "./list-occurrences";

export const completeOccurrence = (
  householdId: string,
  occurrenceId: string,
  body: Schemas["CompletionCreate"],
  idempotencyKey: string,
) =>
  unwrap(
    api.POST("/api/households/{household_id}/occurrences/{occurrence_id}/complete", {
      params: {
        path: { household_id: householdId, occurrence_id: occurrenceId },
        header: { "Idempotency-Key": idempotencyKey },
      },
      body,
    }),
  );

export type CompleteVariables = {
  occurrence: Schemas["OccurrencePublic"];
  /** A fresh key per tap: a retried request then cannot complete the occurrence twice. */
  idempotencyKey: string;
  body?: Schemas["CompletionCreate"];
};

export function useCompleteOccurrence(
  householdId: string,
  options: { onSuccess?: (result: Schemas["CompletionPublic"], variables: CompleteVariables) => void } = {},
) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ occurrence, idempotencyKey, body = {} }: CompleteVariables) =>
      completeOccurrence(householdId, occurrence.id, body, idempotencyKey),
    onMutate: ({ occurrence }) =>
      changeOccurrenceLists(queryClient, householdId, (item, queryKey) => {
        if (item.id !== occurrence.id) return item;
        return onlyOpen(queryKey) ? null : { ...item, status: "done", completed_at: new Date().toISOString() };
      }),
    onError: (error, _variables, snapshot) => {
      restoreOccurrenceLists(queryClient, snapshot);
      toast.error(errorMessage(error));
    },
    onSuccess: (result, variables) => options.onSuccess?.(result, variables),
    onSettled: () => refreshAfterOccurrenceChange(queryClient, householdId),
  });
}
