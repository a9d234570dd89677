import { useMutation, useQueryClient } from "@tanstack/react-query";
import { toast } from "sonner";

import { ApiError, type Schemas, api, errorMessage, unwrap } from "@/lib/api/client";

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

/** A random UUID; `crypto.randomUUID` only exists on secure origins (https, localhost). */
export function newIdempotencyKey(): string {
  if (typeof crypto.randomUUID === "function") return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6]! & 0x0f) | 0x40; // version 4
  bytes[8] = (bytes[8]! & 0x3f) | 0x80; // RFC 4122 variant
  const hex = Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

// One key per occurrence until its completion is settled: a retry, or a second tap after a
// dropped connection, may reach a server that already completed it, which then replays its
// first answer instead of completing it twice.
const completionKeys = new Map<string, string>();

/** The Idempotency-Key for completing this occurrence: the same one until forgetCompletionKey. */
export function completionKey(occurrenceId: string): string {
  let key = completionKeys.get(occurrenceId);
  if (key === undefined) {
    key = newIdempotencyKey();
    completionKeys.set(occurrenceId, key);
  }
  return key;
}

export function forgetCompletionKey(occurrenceId: string) {
  completionKeys.delete(occurrenceId);
}

/** Lost connections and a gateway or server that is briefly unavailable may work a moment later. */
export const isTransient = (error: unknown) =>
  error instanceof ApiError && (error.status === 0 || error.status === 502 || error.status === 503 || error.status === 504);

export type CompleteVariables = {
  occurrence: Schemas["OccurrencePublic"];
  body?: Schemas["CompletionCreate"];
};

export function useCompleteOccurrence(
  householdId: string,
  options: { onSuccess?: (result: Schemas["CompletionPublic"], variables: CompleteVariables) => void } = {},
) {
  const queryClient = useQueryClient();
  return useMutation({
    // Each attempt asks for the key again, so retries send the same one.
    mutationFn: ({ occurrence, body = {} }: CompleteVariables) =>
      completeOccurrence(householdId, occurrence.id, body, completionKey(occurrence.id)),
    retry: (failures, error) => failures < 2 && isTransient(error),
    retryDelay: (attempt) => 400 * 2 ** attempt,
    onMutate: ({ occurrence }) =>
      changeOccurrenceLists(queryClient, householdId, (item, queryKey) => {
        if (item.id !== occurrence.id) return item;
        return onlyOpen(queryKey) ? null : { ...item, status: "done", completed_at: new Date().toISOString() };
      }),
    onError: (error, { occurrence }, snapshot) => {
      // A refusal (already done, not allowed) is final; after a lost answer the key is kept for the next tap.
      if (error instanceof ApiError && error.status >= 400 && error.status < 500) forgetCompletionKey(occurrence.id);
      restoreOccurrenceLists(queryClient, snapshot);
      toast.error(errorMessage(error));
    },
    onSuccess: (result, variables) => {
      forgetCompletionKey(variables.occurrence.id);
      options.onSuccess?.(result, variables);
    },
    onSettled: () => refreshAfterOccurrenceChange(queryClient, householdId),
  });
}
