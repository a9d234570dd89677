import { keepPreviousData, queryOptions, useQuery } from "@tanstack/react-query";

import { type Schemas, api, unwrap } from "@/lib/api/client";
import { keys } from "@/lib/query";

type Schedule = Schemas["SchedulePreviewRequest"]["schedule"];

export const previewSchedule = (householdId: string, body: Schemas["SchedulePreviewRequest"]) =>
  unwrap(
    api.POST("/api/households/{household_id}/schedule-preview", {
      params: { path: { household_id: householdId } },
      body,
    }),
  );

/** The next due times of a proposed schedule; keyed on its JSON, as the editor changes it often. */
export const schedulePreviewQuery = (householdId: string, schedule: Schedule, count = 5) =>
  queryOptions({
    queryKey: [...keys.household(householdId), "schedule-preview", JSON.stringify(schedule), count] as const,
    queryFn: () => previewSchedule(householdId, { schedule, count }),
    // The dates only move as time passes; a minute is plenty.
    staleTime: 60_000,
  });

export const useSchedulePreview = (householdId: string, schedule: Schedule | null, count = 5) =>
  useQuery({
    ...schedulePreviewQuery(householdId, schedule ?? { kind: "once", start: "1970-01-01" }, count),
    enabled: schedule !== null,
    placeholderData: keepPreviousData,
  });
