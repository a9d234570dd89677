import { useMutation, useQueryClient } from "@tanstack/react-query";

import { type Schemas, api, unwrap } from "@/lib/api/client";
import { keys } from "@/lib/query";

export const revokeCalendarFeed = (feedId: string) =>
  unwrap(api.DELETE("/api/me/calendar-feeds/{feed_id}", { params: { path: { feed_id: feedId } } }));

type Feeds = Schemas["CalendarFeedPublic"][];

export function useRevokeCalendarFeed() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: revokeCalendarFeed,
    onMutate: async (feedId: string) => {
      await queryClient.cancelQueries({ queryKey: keys.calendarFeeds() });
      const previous = queryClient.getQueryData<Feeds>(keys.calendarFeeds());
      const now = new Date().toISOString();
      queryClient.setQueryData<Feeds>(keys.calendarFeeds(), (feeds) =>
        feeds?.map((feed) => (feed.id === feedId ? { ...feed, revoked: true, revoked_at: feed.revoked_at ?? now } : feed)),
      );
      return { previous };
    },
    onError: (_error, _feedId, context) => {
      if (context?.previous) queryClient.setQueryData(keys.calendarFeeds(), context.previous);
    },
    onSettled: () => queryClient.invalidateQueries({ queryKey: keys.calendarFeeds() }),
  });
}
