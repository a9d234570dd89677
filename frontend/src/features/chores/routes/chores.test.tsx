import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render, screen, within } from "@testing-library/react";
import { MemoryRouter, Route, Routes } from "react-router";
import { beforeEach, describe, expect, it, vi } from "vitest";

import { ChoresRoute } from "./chores";

type Call = { method: string; path: string; search: URLSearchParams };
type Handler = (call: Call) => { status?: number; body?: unknown } | undefined;

// openapi-fetch keeps the fetch and Request it finds when the client module loads, so they are
// replaced first; Node's Request also needs an origin for the app's relative URLs.
const server = vi.hoisted(() => {
  const state = { handler: (() => undefined) as Handler, calls: [] as Call[] };
  const NodeRequest = globalThis.Request;
  globalThis.Request = class extends NodeRequest {
    constructor(input: RequestInfo | URL, init?: RequestInit) {
      super(typeof input === "string" && input.startsWith("/") ? `http://chorus.test${input}` : input, init);
    }
  };
  globalThis.fetch = async (input: RequestInfo | URL) => {
    const request = input as Request;
    const url = new URL(request.url);
    const call = { method: request.method, path: url.pathname, search: url.searchParams };
    state.calls.push(call);
    const answer = state.handler(call) ?? { status: 404, body: { title: "Not found", status: 404, detail: "no such thing" } };
    const status = answer.status ?? 200;
    if (status === 204) return new Response(null, { status });
    return new Response(JSON.stringify(answer.body), {
      status,
      headers: { "Content-Type": status >= 400 ? "application/problem+json" : "application/json" },
    });
  };
  return state;
});

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
