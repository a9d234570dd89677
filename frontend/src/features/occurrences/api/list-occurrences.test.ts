import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { renderHook } from "@testing-library/react";
import { createElement, type ReactNode } from "react";
import { beforeEach, describe, expect, it, vi } from "vitest";

import type { Schemas } from "@/lib/api/client";
import { server } from "@/testing/fake-server";

import {
  changeOccurrenceLists,
  onlyOpen,
  refreshAfterOccurrenceChange,
  restoreOccurrenceLists,
  useOccurrences,
} from "./list-occurrences";

// Requests never answer: these tests look at the cache before any data arrives.
beforeEach(() => {
  server.handler = () => "pending";
});

vi.mock("@/lib/firebase", () => ({ firebaseAuth: () => ({ currentUser: null }) }));

type Occurrence = Schemas["OccurrencePublic"];

const occurrence = (id: string, due_at: string): Occurrence => ({
  id,
  chore_id: `c-${id}`,
  chore_title: id,
  due_at,
  window_start: due_at,
  all_day: false,
  status: "open",
  mode: "one_of",
  assignee_id: "u1",
  assignee_name: "Sam",
  assignment_reason: "",
  for_user_id: null,
  effort_minutes: 10,
  points: 1,
  room: null,
  completed_at: null,
  completed_by: null,
});

const a = occurrence("a", "2025-03-03T08:00:00Z");
const b = occurrence("b", "2025-03-03T09:00:00Z");
const c = occurrence("c", "2025-03-03T10:00:00Z");
const openKey = ["household", "h1", "occurrences", { status: ["open"] }];
const allKey = ["household", "h1", "occurrences", {}];

function cache() {
  const queryClient = new QueryClient();
  queryClient.setQueryData(openKey, [a, b, c]);
  queryClient.setQueryData(allKey, [a, b, c]);
  return queryClient;
}

const complete = (id: string) => (item: Occurrence, queryKey: readonly unknown[]) =>
  item.id !== id ? item : onlyOpen(queryKey) ? null : { ...item, status: "done" as const };

const ids = (queryClient: QueryClient, key: unknown[]) =>
  queryClient.getQueryData<Occurrence[]>(key)!.map((item) => `${item.id}:${item.status}`);

describe("optimistic occurrence changes", () => {
  it("changes every list, and rolls back only the failed occurrence", async () => {
    const queryClient = cache();
    const first = await changeOccurrenceLists(queryClient, "h1", complete("a"));
    const second = await changeOccurrenceLists(queryClient, "h1", complete("c"));
    expect(ids(queryClient, openKey)).toEqual(["b:open"]);
    expect(ids(queryClient, allKey)).toEqual(["a:done", "b:open", "c:done"]);

    // The first tap fails while the second is still under way: only "a" comes back.
    restoreOccurrenceLists(queryClient, first);
    expect(ids(queryClient, openKey)).toEqual(["a:open", "b:open"]);
    expect(ids(queryClient, allKey)).toEqual(["a:open", "b:open", "c:done"]);

    restoreOccurrenceLists(queryClient, second);
    expect(ids(queryClient, openKey)).toEqual(["a:open", "b:open", "c:open"]);
    expect(ids(queryClient, allKey)).toEqual(["a:open", "b:open", "c:open"]);
  });

  it("keeps newer data for the other occurrences", async () => {
    const queryClient = cache();
    const snapshot = await changeOccurrenceLists(queryClient, "h1", complete("b"));
    // A refresh arrives meanwhile, with "c" renamed by someone else.
    queryClient.setQueryData(openKey, [a, { ...c, chore_title: "renamed" }]);
    restoreOccurrenceLists(queryClient, snapshot);
    const list = queryClient.getQueryData<Occurrence[]>(openKey)!;
    expect(list.map((item) => item.id)).toEqual(["a", "b", "c"]);
    expect(list[2]!.chore_title).toBe("renamed");
  });
});

describe("occurrence queries", () => {
  it("refreshes the chores (their next due date) after an occurrence changed", async () => {
    const queryClient = cache();
    queryClient.setQueryData(["household", "h1", "chores", "c-a"], { id: "c-a" });
    await refreshAfterOccurrenceChange(queryClient, "h1");
    expect(queryClient.getQueryState(["household", "h1", "chores", "c-a"])?.isInvalidated).toBe(true);
  });

  it("keeps showing the old list while a new day's list loads", () => {
    const queryClient = new QueryClient();
    queryClient.setQueryData(["household", "h1", "occurrences", { due_before: "monday" }], [a]);
    const wrapper = ({ children }: { children: ReactNode }) => createElement(QueryClientProvider, { client: queryClient }, children);
    const { result, rerender } = renderHook(
      ({ due }: { due: string }) => useOccurrences("h1", { due_before: due }, { keepPrevious: true }),
      { wrapper, initialProps: { due: "monday" } },
    );
    expect(result.current.data).toEqual([a]);
    rerender({ due: "tuesday" });
    expect(result.current.isPending).toBe(false);
    expect(result.current.isPlaceholderData).toBe(true);
    expect(result.current.data).toEqual([a]);
  });
});
