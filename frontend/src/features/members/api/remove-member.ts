import { useMutation, useQueryClient } from "@tanstack/react-query";

import { type Schemas, api, unwrap } from "@/lib/api/client";
import { keys } from "@/lib/query";

type Member = Schemas["MemberPublic"];

export const removeMember = (householdId: string, userId: string) =>
  unwrap(
    api.DELETE("/api/households/{household_id}/members/{user_id}", {
      params: { path: { household_id: householdId, user_id: userId } },
    }),
  );

export function useRemoveMember(householdId: string) {
  const queryClient = useQueryClient();
  const key = keys.members(householdId);
  return useMutation({
    mutationFn: (userId: string) => removeMember(householdId, userId),
    onMutate: async (userId) => {
      await queryClient.cancelQueries({ queryKey: key });
      const previous = queryClient.getQueryData<Member[]>(key);
      queryClient.setQueryData<Member[]>(key, (members) => members?.filter((member) => member.user_id !== userId));
      return { previous };
    },
    onError: (_error, _userId, context) => {
      if (context?.previous) queryClient.setQueryData(key, context.previous);
    },
    // Their chores go back into rotation, so the whole household may change.
    onSettled: () => queryClient.invalidateQueries({ queryKey: keys.household(householdId) }),
  });
}
