import { queryOptions, useQuery } from "@tanstack/react-query";

import { api, unwrap } from "@/lib/api/client";
import { keys } from "@/lib/query";

/** Your feeds, newest first, revoked ones included; never their URLs. */
export const listCalendarFeeds = () => unwrap(api.GET("/api/me/calendar-feeds")).then((page) => page.data);

export const calendarFeedsQuery = () => queryOptions({ queryKey: keys.calendarFeeds(), queryFn: listCalendarFeeds });

export const useCalendarFeeds = () => useQuery(calendarFeedsQuery());
