import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render, screen, within } from "@testing-library/react";
import { MemoryRouter, Route, Routes } from "react-router";
import { beforeEach, describe, expect, it, vi } from "vitest";

import { server } from "@/testing/fake-server";

import { ChoresRoute } from "./chores";

vi.mock("@/lib/firebase", () => ({ firebaseAuth: () => ({ currentUser: null }) }));

const household = { id: "h1", name: "Flat", role: "admin", timezone: "UTC", member_count: 2, created_at: "2024-01-01T00:00:00Z" };
const base = {
  household_id: "h1",
  notes: "",
  room: null,
  labels: [],
  effort_minutes: 10,
  points: 2,
  eligible: [{ user_id: "u1", display_name: "Ana" }],
  strategy: "round_robin",
  mode: "one_of",
  missed_policy: "roll_forward",
  rule: "",
  paused: false,
  archived: false,
  next_due_at: null,
  created_at: "2025-03-01T00:00:00Z",
};
const chores = [
  { ...base, id: "c2", title: "Plants", paused: true, schedule: { kind: "after_completion", every: 3, unit: "days", start: "2025-03-03", time: null } },
  { ...base, id: "c1", title: "Bins", room: "Outside", schedule: { kind: "monthly_weekday", every: 1, nth: -1, weekday: "fr", start: "2025-03-03", time: "19:30" } },
  { ...base, id: "c3", title: "Old rota", archived: true, schedule: { kind: "once", start: "2025-03-03", time: null } },
];

function renderRoute(list: unknown[], role = "admin") {
  server.handler = (call) => {
    if (call.path === "/api/households/h1") return { body: { ...household, role } };
    if (call.path === "/api/households/h1/chores") return { body: { data: list, count: list.length } };
    return undefined;
  };
  const queryClient = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  render(
    <QueryClientProvider client={queryClient}>
      <MemoryRouter initialEntries={["/h/h1/chores"]}>
        <Routes>
          <Route path="/h/:householdId/chores" element={<ChoresRoute />} />
        </Routes>
      </MemoryRouter>
    </QueryClientProvider>,
  );
}

beforeEach(() => {
  server.calls = [];
});

describe("ChoresRoute", () => {
  it("lists chores by title with their schedule, people and state; archived ones apart", async () => {
    renderRoute(chores);
    const list = await screen.findByRole("list", { name: "Chores" });
    const items = within(list).getAllByRole("listitem");
    expect(items.map((item) => within(item).getByRole("link").textContent)).toEqual(["Bins", "Plants"]);
    expect(items[0]).toHaveTextContent("Last Friday of every month at 19:30");
    expect(items[0]).toHaveTextContent("One person: Ana · Outside");
    expect(items[1]).toHaveTextContent("3 days after it is done");
    expect(within(items[1]!).getByText("Paused")).toBeInTheDocument();
    expect(within(list).getByRole("link", { name: "Bins" })).toHaveAttribute("href", "/h/h1/chores/c1");
    expect(within(screen.getByRole("list", { name: "Archived chores" })).getByText("Old rota")).toBeInTheDocument();
    expect(screen.getByRole("link", { name: "New chore" })).toHaveAttribute("href", "/h/h1/chores/new");
    expect(server.calls.find((call) => call.path.endsWith("/chores"))?.search.get("include_archived")).toBe("true");
  });

  it("says so when there are none", async () => {
    renderRoute([], "child");
    expect(await screen.findByText("No chores yet.")).toBeInTheDocument();
    expect(screen.queryByRole("link", { name: "New chore" })).not.toBeInTheDocument();
  });
});
