import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter, Route, Routes } from "react-router";
import { Toaster } from "sonner";
import { beforeEach, describe, expect, it, vi } from "vitest";

import { server, type Handler } from "@/testing/fake-server";

import { BoardRoute } from "./board";

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
