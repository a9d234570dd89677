import { queryOptions, useQuery } from "@tanstack/react-query";

import { api, unwrap } from "@/lib/api/client";
import { keys } from "@/lib/query";

export const getNotificationSettings = () => unwrap(api.GET("/api/me/notification-settings"));

export const notificationSettingsQuery = () =>
  queryOptions({ queryKey: keys.notificationSettings(), queryFn: getNotificationSettings });

export const useNotificationSettings = () => useQuery(notificationSettingsQuery());
