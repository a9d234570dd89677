import { useMutation, useQueryClient } from "@tanstack/react-query";

import { type Schemas, api, unwrap } from "@/lib/api/client";
import { keys } from "@/lib/query";

export const updateMe = (body: Schemas["UserUpdate"]) => unwrap(api.PATCH("/api/me", { body }));

export function useUpdateMe() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: updateMe,
    onSuccess: (me) => {
      queryClient.setQueryData(keys.me(), me);
      // Names show up in members, boards and history.
      return queryClient.invalidateQueries({ queryKey: ["household"] });
    },
  });
}
