import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter, Route, Routes } from "react-router";
import { Toaster } from "sonner";
import { beforeEach, describe, expect, it, vi } from "vitest";

import { BoardRoute } from "./board";

type Call = { method: string; path: string; search: URLSearchParams; headers: Headers };
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
    const call = { method: request.method, path: url.pathname, search: url.searchParams, headers: request.headers };
    state.calls.push(call);
    const answer = state.handler(call) ?? { status: 404, body: { title: "Not found", status: 404 } };
    const status = answer.status ?? 200;
    return new Response(JSON.stringify(answer.body), {
      status,
      headers: { "Content-Type": status >= 400 ? "application/problem+json" : "application/json" },
    });
  };
  return state;
});

vi.mock("@/lib/firebase", () => ({ firebaseAuth: () => ({ currentUser: null }) }));

const me = { id: "u1", display_name: "Sam", email: null, timezone: "UTC", created_at: "2024-01-01T00:00:00Z" };
const household = { id: "h1", name: "Flat", role: "member", timezone: "UTC", member_count: 2, created_at: "2024-01-01T00:00:00Z" };
const inAnHour = new Date(Date.now() + 3_600_000).toISOString();
const dishes = {
  id: "o1",
  chore_id: "c1",
  chore_title: "Dishes",
  due_at: inAnHour,
  window_start: inAnHour,
  all_day: false,
  status: "open",
  mode: "one_of",
  assignee_id: "u1",
  assignee_name: "Sam",
  assignment_reason: "round robin: Sam's turn",
  for_user_id: null,
  effort_minutes: 15,
  points: 2,
  room: "Kitchen",
  completed_at: null,
  completed_by: null,
};

function answers(items: unknown[]): Handler {
  return (call) => {
    if (call.path === "/api/me") return { body: me };
    if (call.path === "/api/households/h1") return { body: household };
    if (call.path === "/api/households/h1/occurrences") return { body: { data: items, count: items.length } };
    return undefined;
  };
}

function renderBoard() {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  return render(
    <QueryClientProvider client={client}>
      <MemoryRouter initialEntries={["/h/h1/board"]}>
        <Routes>
          <Route path="/h/:householdId/board" element={<BoardRoute />} />
        </Routes>
      </MemoryRouter>
      <Toaster />
    </QueryClientProvider>,
  );
}

// sonner's toasts can be swiped away; jsdom has no pointer capture.
Element.prototype.setPointerCapture ??= () => {};
Element.prototype.releasePointerCapture ??= () => {};
Element.prototype.hasPointerCapture ??= () => false;

beforeEach(() => {
  server.calls = [];
});

describe("BoardRoute", () => {
  const pool = { ...dishes, id: "o2", chore_title: "Bins", mode: "pool", assignee_id: null, assignee_name: null, assignment_reason: "pool: unassigned until someone claims it" };
  const theirs = { ...dishes, id: "o3", chore_title: "Hoover", assignee_id: "u2", assignee_name: "Alex", assignment_reason: "least loaded: Alex had the fewest minutes" };

  it("groups by person, explains each assignment, and rolls a failed claim back", async () => {
    const user = userEvent.setup();
    server.handler = (call) =>
      call.path.endsWith("/claim")
        ? { status: 409, body: { title: "Conflict", status: 409, detail: "someone has claimed it already, or it is closed" } }
        : answers([dishes, pool, theirs])(call);
    renderBoard();
    const alex = await screen.findByRole("region", { name: "Alex" });
    expect(within(alex).getByText("Hoover")).toBeInTheDocument();
    expect(screen.getByRole("region", { name: "Sam" })).toBeInTheDocument();
    const grabs = screen.getByRole("region", { name: "Up for grabs" });

    const why = within(alex).getByRole("button", { name: "Why is “Hoover” assigned to Alex?" });
    expect(why).toHaveAttribute("aria-expanded", "false");
    await user.click(why);
    expect(why).toHaveAttribute("aria-expanded", "true");
    expect(within(alex).getByText("Least loaded: Alex had the fewest minutes.")).toBeVisible();

    await user.click(within(grabs).getByRole("button", { name: "Claim “Bins”" }));
    expect(await screen.findByText("someone has claimed it already, or it is closed")).toBeInTheDocument();
    expect(within(screen.getByRole("region", { name: "Up for grabs" })).getByText("Bins")).toBeInTheDocument();
  });
});
