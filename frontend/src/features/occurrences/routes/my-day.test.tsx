import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter, Route, Routes } from "react-router";
import { Toaster } from "sonner";
import { beforeEach, describe, expect, it, vi } from "vitest";

import { MyDayRoute } from "./my-day";

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

function renderMyDay() {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  return render(
    <QueryClientProvider client={client}>
      <MemoryRouter initialEntries={["/h/h1/today"]}>
        <Routes>
          <Route path="/h/:householdId/today" element={<MyDayRoute />} />
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

describe("MyDayRoute", () => {
  it("says so when nothing is due, instead of loading for ever", async () => {
    server.handler = answers([]);
    renderMyDay();
    expect(await screen.findByText("Nothing due for you today.")).toBeInTheDocument();
    expect(screen.getByRole("heading", { name: "My day" })).toBeInTheDocument();
    const lists = server.calls.filter((call) => call.path.endsWith("/occurrences"));
    expect(lists.some((call) => call.search.get("mine") === "true")).toBe(true);
    expect(lists.every((call) => call.search.getAll("status").join() === "open")).toBe(true);
  });

  it("marks an item done in one tap, with a fresh idempotency key, and offers an undo", async () => {
    const user = userEvent.setup();
    let open = [dishes];
    server.handler = (call) => {
      if (call.path === "/api/households/h1/occurrences/o1/complete") {
        open = [];
        return { body: { occurrence: { ...dishes, status: "done" }, history_id: "e1", next: [] } };
      }
      if (call.path === "/api/households/h1/occurrences/o1/undo") {
        open = [dishes];
        return { body: dishes };
      }
      return answers(open)(call);
    };
    renderMyDay();
    const item = (await screen.findByText("Dishes")).closest("li")!;
    expect(within(item).getByText("Kitchen")).toBeInTheDocument();
    await user.click(within(item).getByRole("button", { name: "Mark “Dishes” done" }));
    expect(await screen.findByText("“Dishes” done")).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Mark “Dishes” done" })).not.toBeInTheDocument();
    const completion = server.calls.find((call) => call.path.endsWith("/complete"));
    expect(completion?.method).toBe("POST");
    expect(completion?.headers.get("Idempotency-Key")).toMatch(/^[0-9a-f-]{36}$/);

    await user.click(screen.getByRole("button", { name: "Undo" }));
    expect(await screen.findByText("Reopened")).toBeInTheDocument();
    await waitFor(() => expect(screen.getByRole("button", { name: "Mark “Dishes” done" })).toBeInTheDocument());
  });
});
