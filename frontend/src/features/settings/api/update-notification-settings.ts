import { useMutation, useQueryClient } from "@tanstack/react-query";

import { type Schemas, api, unwrap } from "@/lib/api/client";
import { keys } from "@/lib/query";

export const updateNotificationSettings = (body: Schemas["NotificationSettingsUpdate"]) =>
  unwrap(api.PATCH("/api/me/notification-settings", { body }));

export function useUpdateNotificationSettings() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: updateNotificationSettings,
    onSuccess: (settings) => queryClient.setQueryData(keys.notificationSettings(), settings),
  });
}
