import { useMutation, useQueryClient } from "@tanstack/react-query";

import { type Schemas, api, unwrap } from "@/lib/api/client";
import { keys } from "@/lib/query";

type Invite = Schemas["InvitePublic"];

export const revokeInvite = (householdId: string, inviteId: string) =>
  unwrap(
    api.DELETE("/api/households/{household_id}/invites/{invite_id}", {
      params: { path: { household_id: householdId, invite_id: inviteId } },
    }),
  );

export function useRevokeInvite(householdId: string) {
  const queryClient = useQueryClient();
  const key = keys.invites(householdId);
  return useMutation({
    mutationFn: (inviteId: string) => revokeInvite(householdId, inviteId),
    onMutate: async (inviteId) => {
      await queryClient.cancelQueries({ queryKey: key });
      const previous = queryClient.getQueryData<Invite[]>(key);
      queryClient.setQueryData<Invite[]>(key, (invites) =>
        invites?.map((invite) => (invite.id === inviteId ? { ...invite, status: "revoked" } : invite)),
      );
      return { previous };
    },
    onError: (_error, _inviteId, context) => {
      if (context?.previous) queryClient.setQueryData(key, context.previous);
    },
    onSettled: () => queryClient.invalidateQueries({ queryKey: key }),
  });
}
