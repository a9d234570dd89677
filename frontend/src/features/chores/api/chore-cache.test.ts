import { QueryClient } from "@tanstack/react-query";
import { describe, expect, it } from "vitest";

import type { Schemas } from "@/lib/api/client";

import { patchChoreLists } from "./chore-cache";

type Chore = Schemas["ChorePublic"];
const chore = (id: string) => ({ id, title: id, paused: false, archived: false }) as Chore;

describe("patchChoreLists", () => {
  it("rolls back only its own chore, keeping other changes made since", () => {
    const queryClient = new QueryClient();
    const list = ["household", "h1", "chores", { includeArchived: false }];
    const detail = ["household", "h1", "chores", "a"];
    queryClient.setQueryData(list, [chore("a"), chore("b")]);
    queryClient.setQueryData(detail, chore("a"));

    const pauseA = patchChoreLists(queryClient, "h1", "a", (item) => ({ ...item, paused: true }));
    patchChoreLists(queryClient, "h1", "b", (item) => ({ ...item, archived: true }));
    expect(queryClient.getQueryData<Chore>(detail)?.paused).toBe(true);

    pauseA();
    const [a, b] = queryClient.getQueryData<Chore[]>(list)!;
    expect(a?.paused).toBe(false);
    expect(b?.archived).toBe(true);
    expect(queryClient.getQueryData<Chore>(detail)?.paused).toBe(false);
  });
});
