import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { renderHook, waitFor } from "@testing-library/react";
import type { ReactNode } from "react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import type { Schemas } from "@/lib/api/client";
import { server } from "@/testing/fake-server";

import { completionKey, newIdempotencyKey, useCompleteOccurrence } from "./complete-occurrence";

vi.mock("@/lib/firebase", () => ({ firebaseAuth: () => ({ currentUser: null }) }));
vi.mock("sonner", () => ({ toast: { error: vi.fn(), success: vi.fn() } }));

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

const dishes = { id: "o1", chore_title: "Dishes", status: "open" } as Schemas["OccurrencePublic"];
const done = { occurrence: { ...dishes, status: "done" }, history_id: "e1", next: [] };

function renderComplete() {
  const queryClient = new QueryClient();
  const wrapper = ({ children }: { children: ReactNode }) => <QueryClientProvider client={queryClient}>{children}</QueryClientProvider>;
  return renderHook(() => useCompleteOccurrence("h1"), { wrapper }).result;
}

const keysSent = () => server.calls.filter((call) => call.path.endsWith("/complete")).map((call) => call.headers.get("Idempotency-Key"));

beforeEach(() => {
  server.calls = [];
  server.queue = [];
});

afterEach(() => {
  vi.unstubAllGlobals();
});

describe("newIdempotencyKey", () => {
  it("makes a v4 UUID, also where crypto.randomUUID is missing (plain http)", () => {
    expect(newIdempotencyKey()).toMatch(UUID);
    vi.stubGlobal("crypto", { getRandomValues: crypto.getRandomValues.bind(crypto) });
    const one = newIdempotencyKey();
    expect(one).toMatch(UUID);
    expect(newIdempotencyKey()).not.toBe(one);
  });
});

describe("useCompleteOccurrence", () => {
  it("retries a lost connection and a 503 with the same key", async () => {
    server.queue = ["network-error", { status: 503 }, { status: 200, body: done }];
    const result = renderComplete();
    result.current.mutate({ occurrence: { ...dishes, id: "retry" } });
    await waitFor(() => expect(result.current.isSuccess).toBe(true), { timeout: 4000 });
    const sent = keysSent();
    expect(sent).toHaveLength(3);
    expect(new Set(sent).size).toBe(1);
  });

  it("keeps one key per occurrence across taps until the completion succeeds", async () => {
    const occurrence = { ...dishes, id: "taps" };
    const result = renderComplete();
    // The first tap's answer is lost three times over; the person taps again.
    server.queue = ["network-error", "network-error", "network-error"];
    result.current.mutate({ occurrence });
    await waitFor(() => expect(result.current.isError).toBe(true), { timeout: 4000 });
    server.queue = [{ status: 200, body: done }];
    result.current.mutate({ occurrence });
    await waitFor(() => expect(result.current.isSuccess).toBe(true));
    const sent = keysSent();
    expect(sent).toHaveLength(4);
    expect(new Set(sent).size).toBe(1);
    expect(sent[0]).toMatch(UUID);
    // Done: completing it again (after an undo) is a new completion with a new key.
    expect(completionKey("taps")).not.toBe(sent[0]);
  });

  it("does not retry a refusal, and forgets its key", async () => {
    const occurrence = { ...dishes, id: "refused" };
    server.queue = [{ status: 409, body: { title: "Already done", status: 409 } }];
    const result = renderComplete();
    result.current.mutate({ occurrence });
    await waitFor(() => expect(result.current.isError).toBe(true));
    expect(keysSent()).toHaveLength(1);
    expect(completionKey("refused")).not.toBe(keysSent()[0]);
  });
});
