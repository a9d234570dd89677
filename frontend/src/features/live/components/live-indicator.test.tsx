import { act, render, screen } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { LiveContext } from "../live-provider";
import type { RelayStatus } from "../relay-client";

import { LiveIndicator } from "./live-indicator";

function ui(status: RelayStatus, outages: number) {
  return (
    <LiveContext value={{ status, outages }}>
      <LiveIndicator />
    </LiveContext>
  );
}

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe("LiveIndicator", () => {
  it("says nothing during a short first connect, then shows the offline notice", () => {
    render(ui("connecting", 0));
    expect(screen.getByRole("status")).toBeEmptyDOMElement();
    act(() => vi.advanceTimersByTime(1999));
    expect(screen.queryByText("Offline — reconnecting…")).not.toBeInTheDocument();
    act(() => vi.advanceTimersByTime(1));
    expect(screen.getByRole("status", { name: "Offline — reconnecting…" })).toHaveTextContent(
      "Offline — reconnecting…",
    );
  });

  it("shows a quiet live status, and the notice again only after a new outage lasts", () => {
    const { rerender } = render(ui("live", 0));
    expect(screen.getByRole("status", { name: "Live updates on" })).toHaveTextContent("Live updates on");
    rerender(ui("offline", 1));
    act(() => vi.advanceTimersByTime(1000));
    rerender(ui("connecting", 1));
    expect(screen.queryByText("Offline — reconnecting…")).not.toBeInTheDocument();
    act(() => vi.advanceTimersByTime(1000));
    expect(screen.getByText("Offline — reconnecting…")).toBeVisible();
    rerender(ui("live", 1));
    expect(screen.queryByText("Offline — reconnecting…")).not.toBeInTheDocument();
  });
});
