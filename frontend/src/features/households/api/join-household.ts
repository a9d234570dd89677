import { useMutation, useQueryClient } from "@tanstack/react-query";

import { api, unwrap } from "@/lib/api/client";
import { keys } from "@/lib/query";

export const joinHousehold = (code: string) => unwrap(api.POST("/api/households/join", { body: { code } }));

export function useJoinHousehold() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: joinHousehold,
    onSuccess: () => queryClient.invalidateQueries({ queryKey: keys.households() }),
  });
}
