import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter, Route, Routes } from "react-router";
import { Toaster } from "sonner";
import { beforeEach, describe, expect, it, vi } from "vitest";

import { server, type Call } from "@/testing/fake-server";

import { NewChoreRoute } from "./new-chore";

vi.mock("@/lib/firebase", () => ({ firebaseAuth: () => ({ currentUser: null }) }));

const household = { id: "h1", name: "Flat", role: "admin", timezone: "UTC", member_count: 2, created_at: "2024-01-01T00:00:00Z" };
const members = [
  { user_id: "u1", display_name: "Ana", email: null, role: "owner", joined_at: "2024-01-01T00:00:00Z" },
  { user_id: "u2", display_name: "Ben", email: null, role: "member", joined_at: "2024-01-02T00:00:00Z" },
];

function defaultHandler(call: Call) {
  if (call.method === "GET" && call.path === "/api/households/h1") return { body: household };
  if (call.method === "GET" && call.path === "/api/households/h1/members") return { body: { data: members, count: 2 } };
  if (call.method === "POST" && call.path === "/api/households/h1/schedule-preview") {
    return { body: { rule: "RRULE:FREQ=WEEKLY", due_at: ["2031-05-01T09:00:00Z", "2031-05-08T09:00:00Z"] } };
  }
  return undefined;
}

function renderRoute() {
  const queryClient = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  render(
    <QueryClientProvider client={queryClient}>
      <MemoryRouter initialEntries={["/h/h1/chores/new"]}>
        <Routes>
          <Route path="/h/:householdId/chores/new" element={<NewChoreRoute />} />
          <Route path="/h/:householdId/chores/:choreId" element={<p>Chore page</p>} />
        </Routes>
      </MemoryRouter>
      <Toaster />
    </QueryClientProvider>,
  );
  return userEvent.setup();
}

const creates = () => server.calls.filter((call) => call.method === "POST" && call.path === "/api/households/h1/chores");

beforeEach(() => {
  server.calls = [];
  server.handler = defaultHandler;
});

describe("NewChoreRoute", () => {
  it("says what is missing before sending anything", async () => {
    const user = renderRoute();
    await user.click(await screen.findByRole("button", { name: "Create chore" }));
    expect(screen.getByLabelText("Title")).toHaveAccessibleDescription(/Give the chore a title/);
    expect(screen.getByText("Pick at least one person.")).toBeInTheDocument();
    expect(screen.getByLabelText("Title")).toHaveFocus();
    expect(creates()).toHaveLength(0);
  });

  it("sends the chore, trimmed and in rotation order, then opens it", async () => {
    server.handler = (call) => {
      if (call.method === "POST" && call.path === "/api/households/h1/chores") {
        return { status: 201, body: { id: "c9", title: "Bins" } };
      }
      return defaultHandler(call);
    };
    const user = renderRoute();
    await user.type(await screen.findByLabelText("Title"), "  Bins  ");
    await user.type(screen.getByLabelText("Room"), "   ");
    const who = screen.getByRole("group", { name: "Who can do it" });
    await user.click(within(who).getByLabelText("Ana"));
    await user.click(within(who).getByLabelText("Ben"));
    await user.click(screen.getByRole("button", { name: "Move Ben up" }));
    await user.selectOptions(screen.getByLabelText("How the turn is chosen"), "Whoever has done least lately");
    await user.selectOptions(screen.getByLabelText("Mode"), "Whoever claims it");
    await user.selectOptions(screen.getByLabelText("If it is missed"), "Keep it open until it is done");
    await user.click(screen.getByLabelText("All day"));
    await user.click(screen.getByLabelText("Paused"));
    await user.click(screen.getByRole("button", { name: "Create chore" }));

    expect(await screen.findByText("Chore page")).toBeInTheDocument();
    expect(await screen.findByText("“Bins” created")).toBeInTheDocument();
    expect(creates()).toHaveLength(1);
    expect(creates()[0]!.body).toEqual({
      title: "Bins",
      notes: "",
      room: null,
      effort_minutes: 15,
      points: 1,
      eligible: ["u2", "u1"],
      strategy: "least_loaded",
      mode: "pool",
      missed_policy: "keep_open",
      paused: true,
      schedule: expect.objectContaining({ kind: "weekly", every: 1, time: null }),
    });
  });

  it("shows the server's refusal next to the fields, and the rest on top", async () => {
    server.handler = (call) => {
      if (call.method === "POST" && call.path === "/api/households/h1/chores") {
        return {
          status: 422,
          body: {
            title: "Unprocessable",
            status: 422,
            detail: "the body is not valid",
            errors: [
              { loc: ["body", "title"], message: "String should match pattern", type: "string_pattern_mismatch" },
              { loc: ["body", "schedule", "weekly", "time"], message: "Input should be in a valid time format", type: "time_parsing" },
              { loc: ["body", "labels"], message: "Too many labels", type: "too_long" },
            ],
          },
        };
      }
      return defaultHandler(call);
    };
    const user = renderRoute();
    await user.type(await screen.findByLabelText("Title"), "Bins");
    await user.click(screen.getByLabelText("Ana"));
    await user.click(screen.getByRole("button", { name: "Create chore" }));

    expect(await screen.findByText("String should match pattern")).toBeInTheDocument();
    expect(screen.getByLabelText("Title")).toHaveAccessibleDescription("String should match pattern");
    expect(screen.getByLabelText("Time")).toHaveAccessibleDescription("Input should be in a valid time format");
    expect(screen.getAllByRole("alert").some((alert) => alert.textContent === "labels: Too many labels")).toBe(true);
  });

  it("previews the next due dates", async () => {
    renderRoute();
    const preview = await screen.findByRole("region", { name: "Next due dates" });
    expect(await within(preview).findAllByRole("listitem")).toHaveLength(2);
    const request = server.calls.find((call) => call.path === "/api/households/h1/schedule-preview");
    expect(request?.body).toMatchObject({ count: 5, schedule: { kind: "weekly" } });
  });
});
