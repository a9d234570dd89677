import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter } from "react-router";
import { afterEach, describe, expect, it, vi } from "vitest";

import { type Schemas, api } from "@/lib/api/client";
import { keys } from "@/lib/query";

import type { NotificationsData } from "../api/list-notifications";
import { NotificationsButton } from "./notifications-button";

const notification = (id: string, read: boolean, created_at: string): Schemas["NotificationPublic"] => ({
  id,
  household_id: "h1",
  kind: "assigned",
  occurrence_id: null,
  read,
  text: `Chore ${id} is yours`,
  created_at,
});

const page: Schemas["NotificationsPage"] = {
  data: [notification("a", false, "2026-03-02T10:00:00Z"), notification("b", false, "2026-03-01T10:00:00Z"), notification("c", true, "2026-02-28T10:00:00Z")],
  next: null,
  unread_count: 2,
};

function renderButton() {
  // Pre-filled, never stale: the component renders from the cache and asks the network nothing.
  const client = new QueryClient({ defaultOptions: { queries: { staleTime: Infinity, retry: false }, mutations: { retry: false } } });
  client.setQueryData<NotificationsData>(keys.notifications(), { pages: [page], pageParams: [null] });
  client.setQueryData(keys.me(), { id: "u1", display_name: "Ada", email: null, timezone: "UTC", created_at: "2026-01-01T00:00:00Z" });
  render(
    <QueryClientProvider client={client}>
      <MemoryRouter>
        <NotificationsButton />
      </MemoryRouter>
    </QueryClientProvider>,
  );
}

afterEach(() => vi.restoreAllMocks());

describe("NotificationsButton", () => {
  it("shows the unread count on the bell", () => {
    renderButton();
    expect(screen.getByRole("button", { name: "Notifications, 2 unread" })).toBeInTheDocument();
    expect(screen.getByTestId("notifications-badge")).toHaveTextContent("2");
  });

  it("clears the badge at once on “Mark all read”, and restores it when the server refuses", async () => {
    const user = userEvent.setup();
    let fail: (reason: unknown) => void = () => {};
    const post = vi.spyOn(api, "POST").mockReturnValue(new Promise((_resolve, reject) => (fail = reject)) as never);
    // The refetch after settling never answers, so only the rollback can bring the count back.
    vi.spyOn(api, "GET").mockReturnValue(new Promise(() => {}) as never);
    renderButton();

    await user.click(screen.getByRole("button", { name: "Notifications, 2 unread" }));
    expect(screen.getByText("Chore a is yours")).toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "Mark all read" }));

    expect(screen.getByRole("button", { name: "Notifications" })).toBeInTheDocument();
    expect(screen.queryByTestId("notifications-badge")).not.toBeInTheDocument();
    expect(post).toHaveBeenCalledWith("/api/me/notifications/read", { body: { all_before: expect.any(String) } });

    fail(new TypeError("network down"));
    await waitFor(() => expect(screen.getByRole("button", { name: "Notifications, 2 unread" })).toBeInTheDocument());
  });

  it("shows an empty state when there is nothing", async () => {
    const user = userEvent.setup();
    const client = new QueryClient({ defaultOptions: { queries: { staleTime: Infinity } } });
    client.setQueryData<NotificationsData>(keys.notifications(), { pages: [{ data: [], next: null, unread_count: 0 }], pageParams: [null] });
    render(
      <QueryClientProvider client={client}>
        <MemoryRouter>
          <NotificationsButton />
        </MemoryRouter>
      </QueryClientProvider>,
    );
    await user.click(screen.getByRole("button", { name: "Notifications" }));
    expect(screen.getByText(/No notifications yet/)).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Mark all read" })).toBeDisabled();
  });
});
