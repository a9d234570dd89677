import { useMutation, useQueryClient } from "@tanstack/react-query";

import { type Schemas, api, unwrap } from "@/lib/api/client";
import { keys } from "@/lib/query";

import type { NotificationsData } from "./list-notifications";

type MarkReadRequest = Schemas["MarkReadRequest"];

export const markNotificationsRead = (body: MarkReadRequest) => unwrap(api.POST("/api/me/notifications/read", { body }));

/** The cached feed as it will be once the server has marked these read. */
export function applyMarkRead(data: NotificationsData, request: MarkReadRequest): NotificationsData {
  const chosen =
    "ids" in request
      ? (n: Schemas["NotificationPublic"]) => request.ids.includes(n.id)
      : (n: Schemas["NotificationPublic"]) => Date.parse(n.created_at) <= Date.parse(request.all_before);
  const pages = data.pages.map((page) => ({ ...page, data: page.data.map((n) => (!n.read && chosen(n) ? { ...n, read: true } : n)) }));
  let unread: number;
  if ("ids" in request) {
    const newlyRead = data.pages.flatMap((page) => page.data).filter((n) => !n.read && chosen(n)).length;
    unread = Math.max(0, (data.pages[0]?.unread_count ?? 0) - newlyRead);
  } else {
    // The feed is newest first, so any unread left are the loaded ones newer than the cut-off.
    unread = pages.flatMap((page) => page.data).filter((n) => !n.read).length;
  }
  return { ...data, pages: pages.map((page) => ({ ...page, unread_count: unread })) };
}

export function useMarkNotificationsRead() {
  const queryClient = useQueryClient();
  const key = keys.notifications();
  return useMutation({
    mutationFn: markNotificationsRead,
    onMutate: async (request) => {
      await queryClient.cancelQueries({ queryKey: key });
      const previous = queryClient.getQueryData<NotificationsData>(key);
      if (previous) queryClient.setQueryData<NotificationsData>(key, applyMarkRead(previous, request));
      return { previous };
    },
    onError: (_error, _request, context) => {
      if (context?.previous) queryClient.setQueryData(key, context.previous);
    },
    onSettled: () => queryClient.invalidateQueries({ queryKey: key }),
  });
}
