import { useMutation, useQueryClient } from "@tanstack/react-query";

import { type Schemas, api, unwrap } from "@/lib/api/client";
import { keys } from "@/lib/query";

type Invite = Schemas["InvitePublic"];

export const createInvite = (householdId: string, body: Schemas["InviteCreate"]) =>
  unwrap(api.POST("/api/households/{household_id}/invites", { params: { path: { household_id: householdId } }, body }));

export function useCreateInvite(householdId: string) {
  const queryClient = useQueryClient();
  const key = keys.invites(householdId);
  return useMutation({
    mutationFn: (body: Schemas["InviteCreate"]) => createInvite(householdId, body),
    onSuccess: (invite) => {
      queryClient.setQueryData<Invite[]>(key, (invites) => (invites ? [invite, ...invites.filter((i) => i.id !== invite.id)] : invites));
      // Not awaited: the new link is shown at once, while the list catches up.
      void queryClient.invalidateQueries({ queryKey: key });
    },
  });
}
