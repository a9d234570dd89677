import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter, Route, Routes } from "react-router";
import { Toaster } from "sonner";
import { beforeEach, describe, expect, it, vi } from "vitest";

import { server, type Handler } from "@/testing/fake-server";

import { MyDayRoute } from "./my-day";

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
