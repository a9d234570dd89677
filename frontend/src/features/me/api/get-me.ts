import { queryOptions, useQuery } from "@tanstack/react-query";

import { api, unwrap } from "@/lib/api/client";
import { keys } from "@/lib/query";

export const getMe = () => unwrap(api.GET("/api/me"));

export const meQuery = () => queryOptions({ queryKey: keys.me(), queryFn: getMe, staleTime: 5 * 60_000 });

export const useMe = () => useQuery(meQuery());
