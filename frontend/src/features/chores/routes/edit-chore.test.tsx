import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { act, render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter, Route, Routes } from "react-router";
import { Toaster } from "sonner";
import { beforeEach, describe, expect, it, vi } from "vitest";

import { server } from "@/testing/fake-server";

import { EditChoreRoute } from "./edit-chore";

vi.mock("@/lib/firebase", () => ({ firebaseAuth: () => ({ currentUser: null }) }));

const household = { id: "h1", name: "Flat", role: "admin", timezone: "UTC", member_count: 2, created_at: "2024-01-01T00:00:00Z" };
const members = [
  { user_id: "u1", display_name: "Ana", email: null, role: "owner", joined_at: "2024-01-01T00:00:00Z" },
  { user_id: "u2", display_name: "Ben", email: null, role: "member", joined_at: "2024-01-02T00:00:00Z" },
];
const chore = {
  id: "c1",
  household_id: "h1",
  title: "Bins",
  notes: "",
  room: "Outside",
  labels: [],
  effort_minutes: 10,
  points: 2,
  eligible: [{ user_id: "u2", display_name: "Ben" }],
  strategy: "fixed",
  mode: "one_of",
  missed_policy: "auto_skip",
  schedule: { kind: "monthly_weekday", every: 1, nth: -1, weekday: "fr", start: "2025-03-03", time: "19:30:00", until: null, count: null, season: null },
  rule: "",
  paused: false,
  archived: false,
  next_due_at: null,
  created_at: "2025-03-01T00:00:00Z",
};

function renderRoute(current = chore) {
  server.handler = (call) => {
    if (call.method === "GET" && call.path === "/api/households/h1") return { body: household };
    if (call.method === "GET" && call.path === "/api/households/h1/members") return { body: { data: members, count: 2 } };
    if (call.method === "GET" && call.path === "/api/households/h1/chores/c1") return { body: current };
    if (call.method === "PATCH" && call.path === "/api/households/h1/chores/c1") return { body: { ...current, ...(call.body as object) } };
    if (call.path === "/api/households/h1/schedule-preview") return { body: { rule: "", due_at: [] } };
    return undefined;
  };
  const queryClient = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  render(
    <QueryClientProvider client={queryClient}>
      <MemoryRouter initialEntries={["/h/h1/chores/c1/edit"]}>
        <Routes>
          <Route path="/h/:householdId/chores/:choreId/edit" element={<EditChoreRoute />} />
          <Route path="/h/:householdId/chores/:choreId" element={<p>Chore page</p>} />
        </Routes>
      </MemoryRouter>
      <Toaster />
    </QueryClientProvider>,
  );
  return { user: userEvent.setup(), queryClient };
}

const patches = () => server.calls.filter((call) => call.method === "PATCH");

beforeEach(() => {
  server.calls = [];
});

describe("EditChoreRoute", () => {
  it("shows the chore as it is and saves only what changed", async () => {
    const { user } = renderRoute();
    expect(await screen.findByLabelText("Title")).toHaveValue("Bins");
    expect(screen.getByLabelText("Room")).toHaveValue("Outside");
    expect(screen.getByLabelText("Ben")).toBeChecked();
    expect(screen.getByLabelText("Ana")).not.toBeChecked();
    expect(screen.getByLabelText("How the turn is chosen")).toHaveValue("fixed");
    expect(screen.getByLabelText("If it is missed")).toHaveValue("auto_skip");
    expect(screen.getByLabelText("Repeats")).toHaveValue("monthly_weekday");
    expect(screen.getByLabelText("Which one")).toHaveValue("-1");
    expect(screen.getByLabelText("Time")).toHaveValue("19:30");

    await user.clear(screen.getByLabelText("Room"));
    await user.clear(screen.getByLabelText("Time"));
    await user.type(screen.getByLabelText("Time"), "20:00");
    await user.click(screen.getByRole("button", { name: "Save changes" }));

    expect(await screen.findByText("Chore page")).toBeInTheDocument();
    expect(patches()).toHaveLength(1);
    expect(patches()[0]!.body).toEqual({
      room: null,
      schedule: { kind: "monthly_weekday", every: 1, nth: -1, weekday: "fr", start: "2025-03-03", time: "20:00" },
    });
  });

  it("sends nothing when nothing changed", async () => {
    const { user } = renderRoute();
    await user.click(await screen.findByRole("button", { name: "Save changes" }));
    expect(await screen.findByText("Chore page")).toBeInTheDocument();
    expect(patches()).toHaveLength(0);
  });

  it("keeps what others changed meanwhile, and says so", async () => {
    const { user, queryClient } = renderRoute();
    const title = await screen.findByLabelText("Title");
    await user.clear(title);
    await user.type(title, "Recycling");

    // The live client refreshes the chore while the form is open: someone paused it and added Ana.
    act(() => {
      queryClient.setQueryData(["household", "h1", "chores", "c1"], {
        ...chore,
        paused: true,
        eligible: [...chore.eligible, { user_id: "u1", display_name: "Ana" }],
      });
    });
    expect(
      await screen.findByText(/Someone else changed this chore while you were editing: who can do it and whether it is paused\./),
    ).toBeInTheDocument();
    // What the person typed stays.
    expect(screen.getByLabelText("Title")).toHaveValue("Recycling");
    expect(screen.getByLabelText("Paused")).not.toBeChecked();

    await user.click(screen.getByRole("button", { name: "Save changes" }));
    expect(await screen.findByText("Chore page")).toBeInTheDocument();
    expect(patches()).toHaveLength(1);
    expect(patches()[0]!.body).toEqual({ title: "Recycling" });
  });

  it("does not offer to change an archived chore", async () => {
    renderRoute({ ...chore, archived: true });
    expect(await screen.findByText("This chore is archived and can no longer be changed.")).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Save changes" })).not.toBeInTheDocument();
  });
});
