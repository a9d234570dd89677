import { queryOptions, useQuery } from "@tanstack/react-query";

import { api, unwrap } from "@/lib/api/client";
import { keys } from "@/lib/query";

export const listHouseholds = () => unwrap(api.GET("/api/households")).then((page) => page.data);

export const householdsQuery = () => queryOptions({ queryKey: keys.households(), queryFn: listHouseholds });

export const useHouseholds = () => useQuery(householdsQuery());
