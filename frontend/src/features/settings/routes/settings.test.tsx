import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it, vi } from "vitest";

import { server, type Call } from "@/testing/fake-server";

import { SettingsRoute } from "./settings";
import { MemoryRouter } from "react-router";

vi.mock("@/lib/firebase", () => ({ firebaseAuth: () => ({ currentUser: null }) }));

const me = { id: "u1", display_name: "Sam", email: "sam@example.com", timezone: "Europe/Berlin", created_at: "2024-01-01T00:00:00Z" };
const settings = { quiet_hours: null, muted_kinds: ["member_left"], timezone: "Europe/Berlin" };
const feed = { id: "f1", created_at: "2024-03-04T09:15:00Z", revoked: false, revoked_at: null };

function defaults(call: Call) {
  const key = `${call.method} ${call.path}`;
  if (key === "GET /api/me") return { body: me };
  if (key === "PATCH /api/me") return { body: { ...me, ...(call.body as object) } };
  if (key === "GET /api/me/notification-settings") return { body: settings };
  if (key === "PATCH /api/me/notification-settings") return { body: { ...settings, ...(call.body as object) } };
  if (key === "GET /api/me/calendar-feeds") return { body: { data: [feed], count: 1 } };
  if (key === "POST /api/me/calendar-feeds")
    return { status: 201, body: { id: "f2", created_at: "2024-03-05T10:00:00Z", url: "https://chorus.test/api/calendar/secret.ics" } };
  if (key === "DELETE /api/me/calendar-feeds/f1") return { status: 204 };
  return undefined;
}

function renderSettings() {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  return render(
    <QueryClientProvider client={client}>
      <MemoryRouter>
        <SettingsRoute />
      </MemoryRouter>
    </QueryClientProvider>,
  );
}

beforeEach(() => {
  server.calls = [];
  server.handler = defaults;
});

describe("SettingsRoute", () => {
  it("saves the profile and shows the server's field errors next to the field", async () => {
    const user = userEvent.setup();
    server.handler = (call) =>
      call.method === "PATCH" && call.path === "/api/me"
        ? { status: 422, body: { title: "Invalid", status: 422, errors: [{ loc: ["body", "display_name"], message: "Too long" }] } }
        : defaults(call);
    renderSettings();
    const name = await screen.findByLabelText("Display name");
    expect(name).toHaveValue("Sam");
    expect(screen.getByLabelText("Your time zone")).toHaveValue("Europe/Berlin");
    await user.clear(name);
    await user.type(name, "Sammy");
    await user.click(screen.getByRole("button", { name: "Save profile" }));
    expect(await screen.findByText("Too long")).toBeInTheDocument();
    expect(name).toHaveAccessibleDescription("Too long");
    expect(server.calls.find((call) => call.method === "PATCH")?.body).toEqual({ display_name: "Sammy", timezone: "Europe/Berlin" });
  });

  it("saves quiet hours and muted kinds", async () => {
    const user = userEvent.setup();
    renderSettings();
    const quiet = await screen.findByRole("checkbox", { name: "Quiet hours" });
    expect(screen.getByRole("checkbox", { name: "Member left" })).toBeChecked();
    expect(screen.queryByLabelText("Quiet from")).not.toBeInTheDocument();
    await user.click(quiet);
    const from = screen.getByLabelText("Quiet from");
    await user.clear(from);
    await user.type(from, "21:30");
    expect(screen.getByLabelText("Quiet until")).toHaveValue("07:00");
    await user.click(screen.getByRole("checkbox", { name: "Overdue" }));
    await user.click(screen.getByRole("checkbox", { name: "Member left" }));
    await user.click(screen.getByRole("button", { name: "Save notification settings" }));
    await waitFor(() => expect(server.calls.some((call) => call.method === "PATCH")).toBe(true));
    expect(server.calls.find((call) => call.method === "PATCH")?.body).toEqual({
      quiet_hours: { start: "21:30", end: "07:00" },
      muted_kinds: ["overdue"],
    });
  });

  it("shows a new calendar link once and revokes old ones", async () => {
    const user = userEvent.setup();
    renderSettings();
    const revoke = await screen.findByRole("button", { name: /^Revoke calendar link created / });
    await user.click(screen.getByRole("button", { name: "Create calendar link" }));
    expect(await screen.findByLabelText("Calendar link")).toHaveValue("https://chorus.test/api/calendar/secret.ics");
    expect(screen.getByRole("button", { name: "Copy calendar link" })).toBeInTheDocument();
    await user.click(revoke);
    await waitFor(() => expect(server.calls.some((call) => call.method === "DELETE" && call.path === "/api/me/calendar-feeds/f1")).toBe(true));
  });

  it("keeps each section's failure to itself", async () => {
    server.handler = (call) =>
      call.path === "/api/me/calendar-feeds" ? { status: 500, body: { title: "Boom", status: 500 } } : defaults(call);
    renderSettings();
    const calendar = screen.getByRole("region", { name: "Calendar" });
    expect(await within(calendar).findByRole("alert")).toHaveTextContent("Something went wrong on our side");
    expect(await screen.findByLabelText("Display name")).toHaveValue("Sam");
  });
});
