import { queryOptions, useQuery } from "@tanstack/react-query";

import { api, unwrap } from "@/lib/api/client";
import { keys } from "@/lib/query";

export const listInvites = (householdId: string) =>
  unwrap(api.GET("/api/households/{household_id}/invites", { params: { path: { household_id: householdId } } })).then(
    (page) => page.data,
  );

export const invitesQuery = (householdId: string) =>
  queryOptions({ queryKey: keys.invites(householdId), queryFn: () => listInvites(householdId) });

/** Only admins and owners may list invites: pass `enabled: false` for everyone else. */
export const useInvites = (householdId: string, { enabled = true }: { enabled?: boolean } = {}) =>
  useQuery({ ...invitesQuery(householdId), enabled });
