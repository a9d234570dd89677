import { useMutation, useQueryClient } from "@tanstack/react-query";

import { api, unwrap } from "@/lib/api/client";
import { keys } from "@/lib/query";

/** A new secret feed; its `url` comes back only in this answer. */
export const createCalendarFeed = () => unwrap(api.POST("/api/me/calendar-feeds"));

export function useCreateCalendarFeed() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: createCalendarFeed,
    onSettled: () => queryClient.invalidateQueries({ queryKey: keys.calendarFeeds() }),
  });
}
