import { useMutation, useQueryClient } from "@tanstack/react-query";

import { type Schemas, api, unwrap } from "@/lib/api/client";
import { keys } from "@/lib/query";

type Member = Schemas["MemberPublic"];

export const updateMember = (householdId: string, userId: string, body: Schemas["MemberUpdate"]) =>
  unwrap(
    api.PATCH("/api/households/{household_id}/members/{user_id}", {
      params: { path: { household_id: householdId, user_id: userId } },
      body,
    }),
  );

export function useUpdateMember(householdId: string) {
  const queryClient = useQueryClient();
  const key = keys.members(householdId);
  return useMutation({
    mutationFn: ({ userId, role }: { userId: string; role: Member["role"] }) => updateMember(householdId, userId, { role }),
    onMutate: async ({ userId, role }) => {
      await queryClient.cancelQueries({ queryKey: key });
      const previous = queryClient.getQueryData<Member[]>(key);
      queryClient.setQueryData<Member[]>(key, (members) =>
        members?.map((member) => (member.user_id === userId ? { ...member, role } : member)),
      );
      return { previous };
    },
    onError: (_error, _variables, context) => {
      if (context?.previous) queryClient.setQueryData(key, context.previous);
    },
    onSettled: () =>
      Promise.all([
        queryClient.invalidateQueries({ queryKey: key }),
        // Your own role may have changed, and with it what you may do here.
        queryClient.invalidateQueries({ queryKey: keys.household(householdId), exact: true }),
      ]),
  });
}
