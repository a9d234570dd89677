import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter, Route, Routes } from "react-router";
import { beforeEach, describe, expect, it, vi } from "vitest";

import { server, type Call } from "@/testing/fake-server";

import { FairnessRoute } from "./fairness";

vi.mock("@/lib/firebase", () => ({ firebaseAuth: () => ({ currentUser: null }) }));

const DAY = 86_400_000;
const ago = (days: number) => new Date(Date.now() - days * DAY).toISOString();
const household = { id: "h1", name: "Flat", timezone: "UTC", created_at: "2024-01-01T00:00:00Z" };
const board = (days: number, active = true) => ({
  since: ago(days),
  data: [
    { user_id: "bob", display_name: "Bob", points: active ? 2 : 0, effort_minutes: active ? 10 : 0, completed: active ? 1 : 0 },
    { user_id: "ann", display_name: "Ann", points: 0, effort_minutes: 0, completed: 0 },
  ],
});
function entry(id: string, created_at: string, overrides: object = {}) {
  return {
    id,
    chore_id: "c1",
    chore_title: "Dishes",
    occurrence_id: null,
    event: "done",
    actor_id: "bob",
    credited_id: "bob",
    credited_name: "Bob",
    note: "",
    points: 2,
    effort_minutes: 10,
    created_at,
    ...overrides,
  };
}
const cursor = { before: ago(40), before_id: "00000000-0000-0000-0000-000000000001" };

function defaults(call: Call) {
  if (call.path === "/api/households/h1") return { body: household };
  if (call.path === "/api/households/h1/leaderboard") return { body: board(Number(call.search.get("days"))) };
  if (call.path === "/api/households/h1/completions") {
    if (call.search.get("before")) return { body: { data: [entry("e9", ago(41), { event: "skipped", points: 0, effort_minutes: 0 })], next: null } };
    return {
      body: {
        data: [entry("e1", ago(1)), entry("e2", ago(1.5), { event: "undone", points: -2, effort_minutes: -10 }), entry("e3", ago(40))],
        next: cursor,
      },
    };
  }
  return undefined;
}

function renderFairness(path = "/h/h1/fairness") {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  return render(
    <QueryClientProvider client={client}>
      <MemoryRouter initialEntries={[path]}>
        <Routes>
          <Route path="/h/:householdId/fairness" element={<FairnessRoute />} />
        </Routes>
      </MemoryRouter>
    </QueryClientProvider>,
  );
}

const completionCalls = (limit: string) =>
  server.calls.filter((call) => call.path === "/api/households/h1/completions" && call.search.get("limit") === limit);

beforeEach(() => {
  server.calls = [];
  server.handler = defaults;
});

describe("FairnessRoute", () => {
  it("shows the totals as a table and the period drives the leaderboard", async () => {
    const user = userEvent.setup();
    renderFairness();
    const table = await screen.findByRole("table", { name: /points, effort and chores done per member/i });
    const bob = within(table).getByRole("row", { name: /Bob/ });
    expect(within(bob).getAllByRole("cell").map((cell) => cell.textContent)).toEqual(["2", "10 min", "1", "100%"]);
    expect(server.calls.find((call) => call.path.endsWith("/leaderboard"))?.search.get("days")).toBe("28");
    await user.selectOptions(screen.getByLabelText("Period"), "Last 12 months");
    await waitFor(() => expect(server.calls.some((call) => call.path.endsWith("/leaderboard") && call.search.get("days") === "365")).toBe(true));
  });

  it("charts from history pages until they reach back past the period", async () => {
    const user = userEvent.setup();
    renderFairness("/h/h1/fairness?days=7");
    const points = await screen.findByRole("button", { name: "Points" });
    expect(points).toHaveAttribute("aria-pressed", "true");
    await user.click(screen.getByRole("button", { name: "Effort" }));
    expect(screen.getByRole("button", { name: "Effort" })).toHaveAttribute("aria-pressed", "true");
    expect(points).toHaveAttribute("aria-pressed", "false");
    // The first page already reaches 40 days back: no second one for a 7-day period.
    expect(completionCalls("100")).toHaveLength(1);

    await user.selectOptions(screen.getByLabelText("Period"), "Last 3 months");
    await waitFor(() => expect(completionCalls("100")).toHaveLength(2));
    expect(completionCalls("100")[1]!.search.get("before_id")).toBe(cursor.before_id);
  });

  it("lists recent activity, marks undos and loads more", async () => {
    const user = userEvent.setup();
    renderFairness();
    const activity = screen.getByRole("region", { name: "Recent activity" });
    expect(await within(activity).findAllByText("Bob did Dishes · 10 min · +2 points")).toHaveLength(2);
    expect(within(activity).getByText("Dishes by Bob was undone · −10 min · −2 points")).toBeInTheDocument();
    await user.click(within(activity).getByRole("button", { name: "Load more" }));
    expect(await within(activity).findByText("Dishes was skipped (Bob’s turn)")).toBeInTheDocument();
    expect(within(activity).queryByRole("button", { name: "Load more" })).not.toBeInTheDocument();
  });

  it("says so when nobody has done anything in the period", async () => {
    server.handler = (call) => (call.path.endsWith("/leaderboard") ? { body: board(28, false) } : defaults(call));
    renderFairness();
    expect(await screen.findByText("No chores done in this period yet.")).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Points" })).not.toBeInTheDocument();
  });

  it("shows a failing leaderboard in words", async () => {
    server.handler = (call) =>
      call.path.endsWith("/leaderboard") ? { status: 503, body: { title: "Unavailable", status: 503, detail: "The database is busy." } } : defaults(call);
    renderFairness();
    const totals = screen.getByRole("region", { name: "Totals" });
    expect(await within(totals).findByRole("alert")).toHaveTextContent("The database is busy.");
  });
});
