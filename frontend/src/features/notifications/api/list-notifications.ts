import { type InfiniteData, infiniteQueryOptions, useInfiniteQuery } from "@tanstack/react-query";

import { type Schemas, api, unwrap } from "@/lib/api/client";
import { keys } from "@/lib/query";

export type NotificationsPage = Schemas["NotificationsPage"];
export type NotificationCursor = Schemas["NotificationCursor"];
export type NotificationsData = InfiniteData<NotificationsPage>;

const PAGE_SIZE = 20;

export const listNotifications = (cursor: NotificationCursor | null = null) =>
  unwrap(
    api.GET("/api/me/notifications", {
      params: { query: { limit: PAGE_SIZE, ...(cursor ? { before: cursor.before, before_id: cursor.before_id } : {}) } },
    }),
  );

export const notificationsQuery = () =>
  infiniteQueryOptions({
    queryKey: keys.notifications(),
    queryFn: ({ pageParam }) => listNotifications(pageParam),
    initialPageParam: null as NotificationCursor | null,
    getNextPageParam: (last) => last.next,
  });

/** Every page carries the same total; the first is the freshest after a refetch. */
export const unreadCount = (data: NotificationsData | undefined): number => data?.pages[0]?.unread_count ?? 0;

// The live client invalidates keys.notifications() on news; polling covers a dropped connection.
export const useNotifications = () => useInfiniteQuery({ ...notificationsQuery(), refetchInterval: 60_000 });
