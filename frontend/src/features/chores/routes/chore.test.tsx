import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter, Route, Routes } from "react-router";
import { Toaster } from "sonner";
import { beforeEach, describe, expect, it, vi } from "vitest";

import { server, type Call } from "@/testing/fake-server";

import { ChoreRoute } from "./chore";

vi.mock("@/lib/firebase", () => ({ firebaseAuth: () => ({ currentUser: null }) }));

const household = { id: "h1", name: "Flat", role: "admin", timezone: "UTC", member_count: 2, created_at: "2024-01-01T00:00:00Z" };
const chore = {
  id: "c1",
  household_id: "h1",
  title: "Bins",
  notes: "Blue one first",
  room: "Outside",
  labels: [],
  effort_minutes: 10,
  points: 2,
  eligible: [
    { user_id: "u2", display_name: "Ben" },
    { user_id: "u1", display_name: "Ana" },
  ],
  strategy: "round_robin",
  mode: "one_of",
  missed_policy: "roll_forward",
  schedule: { kind: "weekly", every: 2, weekdays: ["mo", "th"], start: "2025-03-03", time: "07:00:00" },
  rule: "",
  paused: false,
  archived: false,
  next_due_at: "2031-05-01T07:00:00Z",
  created_at: "2025-03-01T00:00:00Z",
};
const entry = (id: string, name: string) => ({
  id,
  chore_id: "c1",
  chore_title: "Bins",
  occurrence_id: null,
  event: "done",
  actor_id: null,
  credited_id: null,
  credited_name: name,
  note: "",
  points: 2,
  effort_minutes: 10,
  created_at: "2025-03-04T08:00:00Z",
});

function defaultHandler(call: Call) {
  if (call.method === "GET" && call.path === "/api/households/h1") return { body: household };
  if (call.method === "GET" && call.path === "/api/households/h1/chores/c1") return { body: chore };
  if (call.method === "GET" && call.path === "/api/households/h1/occurrences") return { body: { data: [], count: 0 } };
  if (call.method === "GET" && call.path === "/api/households/h1/completions") {
    return call.search.get("before")
      ? { body: { data: [entry("e2", "Ana")], next: null } }
      : { body: { data: [entry("e1", "Ben")], next: { before: "2025-03-04T08:00:00Z", before_id: "e1" } } };
  }
  if (call.method === "POST" && call.path === "/api/households/h1/chores/c1/archive") return { status: 204 };
  return undefined;
}

function renderRoute() {
  const queryClient = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  render(
    <QueryClientProvider client={queryClient}>
      <MemoryRouter initialEntries={["/h/h1/chores/c1"]}>
        <Routes>
          <Route path="/h/:householdId/chores/:choreId" element={<ChoreRoute />} />
          <Route path="/h/:householdId/chores" element={<p>All chores</p>} />
        </Routes>
      </MemoryRouter>
      <Toaster />
    </QueryClientProvider>,
  );
  return userEvent.setup();
}

beforeEach(() => {
  server.calls = [];
  server.handler = defaultHandler;
  // jsdom has no modal dialogs.
  HTMLDialogElement.prototype.showModal ??= function (this: HTMLDialogElement) {
    this.open = true;
  };
  HTMLDialogElement.prototype.close ??= function (this: HTMLDialogElement) {
    this.open = false;
  };
});

describe("ChoreRoute", () => {
  it("shows the schedule, the people in order, what is open and the history page by page", async () => {
    const user = renderRoute();
    expect(await screen.findByRole("heading", { name: "Bins", level: 1 })).toBeInTheDocument();
    expect(screen.getByText("Every 2 weeks on Mon and Thu at 07:00")).toBeInTheDocument();
    expect(screen.getAllByRole("listitem").slice(0, 2).map((item) => item.textContent)).toEqual(["Ben", "Ana"]);
    expect(await screen.findByText("Nothing open right now.")).toBeInTheDocument();
    const occurrences = server.calls.find((call) => call.path.endsWith("/occurrences"));
    expect(occurrences?.search.get("chore_id")).toBe("c1");
    expect(occurrences?.search.getAll("status")).toEqual(["open"]);

    expect(await screen.findByText(/Done by Ben/)).toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "Load more" }));
    expect(await screen.findByText(/Done by Ana/)).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Load more" })).not.toBeInTheDocument();
  });

  it("archives after asking, then goes back to the list", async () => {
    const user = renderRoute();
    await user.click(await screen.findByRole("button", { name: "Archive" }));
    const dialog = screen.getByRole("dialog", { name: "Archive “Bins”?" });
    await user.click(within(dialog).getByRole("button", { name: "Archive chore" }));
    expect(await screen.findByText("All chores")).toBeInTheDocument();
    expect(await screen.findByText("“Bins” archived")).toBeInTheDocument();
    expect(server.calls.some((call) => call.method === "POST" && call.path.endsWith("/chores/c1/archive"))).toBe(true);
  });

  it("keeps the chore when archiving fails, and says why", async () => {
    server.handler = (call) =>
      call.method === "POST"
        ? { status: 403, body: { title: "Forbidden", status: 403, detail: "children cannot change chores" } }
        : defaultHandler(call);
    const user = renderRoute();
    await user.click(await screen.findByRole("button", { name: "Archive" }));
    await user.click(within(screen.getByRole("dialog")).getByRole("button", { name: "Archive chore" }));
    expect(await within(screen.getByRole("dialog")).findByRole("alert")).toHaveTextContent("children cannot change chores");
    expect(screen.queryByText("Archived", { selector: "span" })).not.toBeInTheDocument();
  });

  it("hides the changes from children", async () => {
    server.handler = (call) =>
      call.path === "/api/households/h1" ? { body: { ...household, role: "child" } } : defaultHandler(call);
    renderRoute();
    expect(await screen.findByRole("heading", { name: "Bins", level: 1 })).toBeInTheDocument();
    await screen.findByText(/Done by Ben/);
    expect(screen.queryByRole("link", { name: "Edit" })).not.toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Archive" })).not.toBeInTheDocument();
  });
});
