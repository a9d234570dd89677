import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import {
  RelayClient,
  type RelayClientOptions,
  type RelayEvent,
  type RelayStatus,
  type SocketHandlers,
  type TokenInfo,
} from "./relay-client";

const URL = "wss://chorus.test/ws";
const H = "11111111-1111-1111-1111-111111111111";
const H2 = "22222222-2222-2222-2222-222222222222";
const HOUR = 3_600_000;

class FakeSocket {
  sent: Record<string, unknown>[] = [];
  closedWith: number | undefined;
  constructor(
    readonly url: string,
    private readonly handlers: SocketHandlers,
  ) {}
  send(data: string) {
    this.sent.push(JSON.parse(data) as Record<string, unknown>);
  }
  close(code?: number) {
    this.closedWith = code ?? 1005;
  }
  open() {
    this.handlers.onOpen();
  }
  receive(message: Record<string, unknown>) {
    this.handlers.onMessage(JSON.stringify(message));
  }
  serverClose(code: number) {
    this.handlers.onClose(code);
  }
  get auth() {
    return this.sent[0];
  }
}

function event(householdId: string, seq: number, type = "chore.created") {
  return {
    type: "event",
    household_id: householdId,
    seq,
    event: type,
    payload: { chore_id: `c${seq}` },
    created_at: "2025-01-01T00:00:00+00:00",
  };
}

/** Lets the token promise settle and runs timers due within `ms`. */
const advance = (ms = 0) => vi.advanceTimersByTimeAsync(ms);

/** Advance time on a healthy connection: the relay pings every 20 s. */
async function keepAlive(socket: FakeSocket, ms: number) {
  for (let left = ms; left > 0; left -= 20_000) {
    await advance(Math.min(20_000, left));
    socket.receive({ type: "ping" });
  }
}

function setup(overrides: Partial<RelayClientOptions> & { lifetime?: number } = {}) {
  const sockets: FakeSocket[] = [];
  const delays: number[] = [];
  const events: RelayEvent[] = [];
  const statuses: RelayStatus[] = [];
  const resyncs: string[] = [];
  const gone: string[] = [];
  let issued = 0;
  const getToken = vi.fn(
    async (forceRefresh: boolean): Promise<TokenInfo> => ({
      token: `${forceRefresh ? "fresh" : "token"}-${++issued}`,
      expiresAt: Date.now() + (overrides.lifetime ?? HOUR),
    }),
  );
  const client = new RelayClient({
    url: URL,
    getToken,
    createSocket: (url, handlers) => {
      const socket = new FakeSocket(url, handlers);
      sockets.push(socket);
      return socket;
    },
    setTimeout: (callback, ms) => {
      delays.push(ms);
      return setTimeout(callback, ms);
    },
    clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
    now: () => Date.now(),
    random: () => 0.5,
    onEvent: (e) => events.push(e),
    onStatus: (s) => statuses.push(s),
    onResync: (h) => resyncs.push(h),
    onGone: (h) => gone.push(h),
    ...overrides,
  });
  const last = () => {
    const socket = sockets.at(-1);
    if (!socket) throw new Error("no socket yet");
    return socket;
  };
  /** Start (or let the pending retry run) and bring the new socket to `ready`. */
  const connect = async (households: string[] = [H]) => {
    await advance();
    last().open();
    last().receive({ type: "ready", households });
    return last();
  };
  return { client, sockets, delays, events, statuses, resyncs, gone, getToken, last, connect };
}

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(new Date("2025-06-01T12:00:00Z"));
});

afterEach(() => {
  vi.useRealTimers();
});

describe("RelayClient", () => {
  it("authenticates in the first message, never in the URL", async () => {
    const t = setup();
    t.client.start();
    await advance();
    expect(t.sockets).toHaveLength(1);
    expect(t.last().url).toBe(URL);
    expect(t.last().sent).toEqual([]);
    t.last().open();
    expect(t.last().sent).toEqual([{ type: "auth", token: "token-1", since: {} }]);
    expect(t.statuses).toEqual(["connecting"]);
    t.last().receive({ type: "ready", households: [H] });
    expect(t.statuses).toEqual(["connecting", "live"]);
  });

  it("resumes after a drop with since = the last seq seen", async () => {
    const t = setup();
    t.client.start();
    const first = await t.connect([H, H2]);
    for (const seq of [1, 2, 3]) first.receive(event(H, seq));
    first.receive(event(H2, 7));
    expect(t.events.map((e) => [e.household_id, e.seq])).toEqual([
      [H, 1],
      [H, 2],
      [H, 3],
      [H2, 7],
    ]);
    expect(t.client.since).toEqual({ [H]: 3, [H2]: 7 });

    first.serverClose(1006);
    expect(t.statuses.at(-1)).toBe("offline");
    await advance(30_000);
    expect(t.sockets).toHaveLength(2);
    t.last().open();
    expect(t.last().auth).toEqual({ type: "auth", token: "token-2", since: { [H]: 3, [H2]: 7 } });
  });

  it("ignores duplicates and old seqs, also across a reconnect", async () => {
    const t = setup();
    t.client.start();
    const first = await t.connect([H, H2]);
    for (const seq of [1, 2, 3, 2, 3]) first.receive(event(H, seq));
    first.receive(event(H2, 2)); // another household has its own numbering
    first.serverClose(1006);
    await advance(30_000);
    const second = t.last();
    second.open();
    second.receive({ type: "ready", households: [H, H2] });
    for (const seq of [3, 4, 4]) second.receive(event(H, seq));
    expect(t.events.map((e) => [e.household_id, e.seq])).toEqual([
      [H, 1],
      [H, 2],
      [H, 3],
      [H2, 2],
      [H, 4],
    ]);
    expect(t.client.since).toEqual({ [H]: 4, [H2]: 2 });
  });

  it("backs off exponentially with full jitter, capped", async () => {
    const randoms = [0.5, 0.99, 0, 0.25, 0.75, 0.5, 0.9, 0.1, 0.6];
    let i = 0;
    const t = setup({ random: () => randoms[i++ % randoms.length] ?? 0.5 });
    t.client.start();
    await advance();
    const observed: number[] = [];
    for (let attempt = 0; attempt < randoms.length; attempt++) {
      t.last().serverClose(1006);
      const delay = t.delays.at(-1) ?? -1;
      observed.push(delay);
      const ceiling = Math.min(30_000, 500 * 2 ** attempt);
      expect(delay).toBeGreaterThanOrEqual(0);
      expect(delay).toBeLessThanOrEqual(ceiling);
      expect(delay).toBeCloseTo((randoms[attempt] ?? 0) * ceiling);
      // Not before the delay, right after it.
      const count = t.sockets.length;
      if (delay >= 1) {
        await advance(delay - 1);
        expect(t.sockets).toHaveLength(count);
      }
      await advance(1);
      expect(t.sockets).toHaveLength(count + 1);
    }
    expect(observed).toEqual([250, 990, 0, 1000, 6000, 8000, 27_000, 3000, 18_000]);
  });

  it("resets the backoff after a connection that stayed up, not after a short one", async () => {
    const t = setup({ random: () => 0.999 });
    t.client.start();
    await advance();
    for (let n = 0; n < 4; n++) {
      t.last().serverClose(1006);
      await advance(30_000);
    }
    // Ready, but dropped at once: still backing off.
    await t.connect();
    t.last().serverClose(1006);
    expect(t.delays.at(-1)).toBeCloseTo(0.999 * 8000);
    await advance(30_000);
    // Ready and up for a while: the next failure starts from the base again.
    await t.connect();
    await advance(15_000);
    t.last().serverClose(1006);
    expect(t.delays.at(-1)).toBeCloseTo(0.999 * 500);
  });

  it("reconnects quickly after a `reconnect` message, with since", async () => {
    const t = setup({ random: () => 0.999 });
    t.client.start();
    await advance();
    // Make the normal backoff large first.
    for (let n = 0; n < 5; n++) {
      t.last().serverClose(1006);
      await advance(30_000);
    }
    const socket = await t.connect();
    socket.receive(event(H, 5));
    await advance(10_000); // a good connection
    socket.receive({ type: "reconnect" });
    expect(socket.closedWith).toBe(1000);
    await advance(1000);
    expect(t.sockets).toHaveLength(7);
    t.last().open();
    expect(t.last().auth).toMatchObject({ type: "auth", since: { [H]: 5 } });
    t.last().receive({ type: "ready", households: [H] });
    // The relay's 1012 close of the old socket afterwards changes nothing.
    socket.serverClose(1012);
    await advance(5_000);
    expect(t.sockets).toHaveLength(7);
  });

  it("reconnects quickly after a 1012 close of a good connection", async () => {
    const t = setup({ random: () => 0.999 });
    t.client.start();
    await advance();
    for (let n = 0; n < 5; n++) {
      t.last().serverClose(1006);
      await advance(30_000);
    }
    const socket = await t.connect();
    await advance(10_000);
    socket.serverClose(1012);
    expect(t.delays.at(-1)).toBeLessThanOrEqual(1000);
  });

  it("backs off from a relay that restarts right after every connect", async () => {
    const t = setup({ random: () => 0.999 });
    t.client.start();
    for (let n = 0; n < 6; n++) {
      const socket = await t.connect();
      socket.receive({ type: "reconnect" });
      await advance(t.delays.at(-1) ?? 0);
    }
    // Not once a second for ever: the waits grow like any other failure's.
    expect(t.delays.at(-1)).toBeGreaterThan(8000);
  });

  it("gets a fresh token (forceRefresh) after 4401 before reconnecting", async () => {
    const t = setup();
    t.client.start();
    const socket = await t.connect();
    expect(t.getToken).toHaveBeenLastCalledWith(false);
    socket.serverClose(4401);
    await advance(30_000);
    expect(t.getToken).toHaveBeenLastCalledWith(true);
    t.last().open();
    expect(t.last().auth).toMatchObject({ type: "auth", token: "fresh-2" });
    // Only that once.
    t.last().serverClose(1006);
    await advance(30_000);
    expect(t.getToken).toHaveBeenLastCalledWith(false);
  });

  it("waits with backoff after 4403 (no account yet)", async () => {
    const t = setup({ random: () => 0.999 });
    t.client.start();
    await advance();
    t.last().open();
    t.last().serverClose(4403);
    const first = t.delays.at(-1) ?? 0;
    await advance(30_000);
    t.last().open();
    t.last().serverClose(4403);
    expect(t.delays.at(-1)).toBeGreaterThan(first);
    expect(t.getToken).not.toHaveBeenCalledWith(true);
  });

  it("renews the token on the open socket before it expires", async () => {
    const t = setup({ lifetime: 10 * 60_000 });
    t.client.start();
    const socket = await t.connect();
    const auths = () => socket.sent.filter((message) => message.type === "auth");
    await keepAlive(socket, 8 * 60_000 - 1000);
    expect(auths()).toHaveLength(1);
    await advance(1000);
    expect(auths()).toEqual([
      { type: "auth", token: "token-1", since: {} },
      { type: "auth", token: "token-2" },
    ]);
    // The relay confirms; the next renewal goes by its expiry.
    socket.receive({ type: "renewed", expires_at: Math.floor(Date.now() / 1000) + 600 });
    await keepAlive(socket, 8 * 60_000 - 1000);
    expect(auths()).toHaveLength(2);
    await advance(1000);
    expect(auths().at(-1)).toEqual({ type: "auth", token: "token-3" });
    expect(t.sockets).toHaveLength(1);
  });

  it("forces a refresh when the cached token is about to expire", async () => {
    let calls = 0;
    const expiresAt = Date.now() + 5 * 60_000;
    const getToken = vi.fn(
      async (force: boolean): Promise<TokenInfo> =>
        force
          ? { token: `fresh-${++calls}`, expiresAt: Date.now() + HOUR }
          : { token: "cached", expiresAt }, // Firebase hands out the same token until close to expiry
    );
    const t = setup({ getToken });
    t.client.start();
    const socket = await t.connect();
    await keepAlive(socket, 3 * 60_000);
    expect(getToken).toHaveBeenLastCalledWith(true);
    expect(socket.sent.filter((message) => message.type === "auth").at(-1)).toEqual({
      type: "auth",
      token: "fresh-1",
    });
    expect(t.sockets).toHaveLength(1);
  });

  it("sends the new token when Firebase reports one", async () => {
    const t = setup();
    t.client.start();
    const socket = await t.connect();
    t.client.tokenChanged();
    await advance();
    expect(socket.sent.at(-1)).toEqual({ type: "auth", token: "token-2" });
  });

  it("calls onResync for `resync` and accepts the stream from the relay's newest event", async () => {
    const t = setup();
    t.client.start();
    const socket = await t.connect();
    expect(t.resyncs).toEqual([H]); // loaded over HTTP before `ready`: reload once
    socket.receive(event(H, 50));
    socket.receive({ type: "resync", household_id: H });
    expect(t.resyncs).toEqual([H, H]);
    socket.receive(event(H, 12)); // the relay's history was behind what we had seen
    expect(t.events.map((e) => e.seq)).toEqual([50, 12]);
    expect(t.statuses.at(-1)).toBe("live");
    expect(t.sockets).toHaveLength(1);
  });

  it("on a reconnect, reloads households it has no position for and reports those gone", async () => {
    const t = setup();
    t.client.start();
    const first = await t.connect([H, H2]);
    // What the page loaded over HTTP before `ready` may have missed events: reload once.
    expect(t.resyncs).toEqual([H, H2]);
    first.receive(event(H, 4));
    first.serverClose(1006);
    await advance(30_000);
    t.last().open();
    t.last().receive({ type: "ready", households: [H] });
    expect(t.resyncs).toEqual([H, H2]); // H resumes from seq 4
    expect(t.gone).toEqual([H2]);
    t.last().serverClose(1006);
    await advance(30_000);
    t.last().open();
    t.last().receive({ type: "ready", households: [H2] });
    expect(t.resyncs).toEqual([H, H2, H2]);
    expect(t.gone).toEqual([H2, H]);
    expect(t.client.since).toEqual({});
  });

  it("answers ping with pong", async () => {
    const t = setup();
    t.client.start();
    const socket = await t.connect();
    socket.receive({ type: "ping" });
    expect(socket.sent.at(-1)).toEqual({ type: "pong" });
  });

  it("treats 45 s without a message as a dead connection", async () => {
    const t = setup();
    t.client.start();
    const socket = await t.connect();
    await advance(40_000);
    socket.receive({ type: "ping" });
    await advance(40_000);
    expect(socket.closedWith).toBeUndefined();
    await advance(5_000);
    expect(socket.closedWith).toBe(1000);
    expect(t.statuses.at(-1)).toBe("offline");
    await advance(30_000);
    expect(t.sockets).toHaveLength(2);
  });

  it("stop() closes the socket and prevents reconnection", async () => {
    const t = setup();
    t.client.start();
    const socket = await t.connect();
    t.client.stop();
    expect(socket.closedWith).toBe(1000);
    socket.serverClose(1000);
    await advance(5 * 60_000);
    expect(t.sockets).toHaveLength(1);
    expect(t.statuses.at(-1)).toBe("offline");
  });

  it("stop() cancels a pending retry", async () => {
    const t = setup();
    t.client.start();
    await advance();
    t.last().serverClose(1006);
    t.client.stop();
    await advance(5 * 60_000);
    expect(t.sockets).toHaveLength(1);
  });

  it("retryNow() skips the backoff wait", async () => {
    const t = setup({ random: () => 0.999 });
    t.client.start();
    await advance();
    for (let n = 0; n < 5; n++) {
      t.last().serverClose(1006);
      await advance(30_000);
    }
    t.last().serverClose(1006);
    t.client.retryNow();
    await advance();
    expect(t.sockets).toHaveLength(7);
  });

  it("reconnects once to learn about a household it does not know", async () => {
    const t = setup();
    t.client.start();
    const socket = await t.connect([H]);
    t.client.expect([H]);
    expect(t.sockets).toHaveLength(1);
    t.client.expect([H, H2]);
    expect(socket.closedWith).toBe(1000);
    await advance();
    expect(t.sockets).toHaveLength(2);
    t.last().open();
    t.last().receive({ type: "ready", households: [H] }); // not there after all
    await advance();
    expect(t.sockets).toHaveLength(2);
    t.client.expect([H, H2]);
    await advance();
    expect(t.sockets).toHaveLength(2);
  });

  it("learns households joined on the connection from their events", async () => {
    const t = setup();
    t.client.start();
    const socket = await t.connect([H]);
    socket.receive(event(H2, 9, "member.joined"));
    expect(t.client.knows(H2)).toBe(true);
    t.client.expect([H, H2]);
    expect(t.sockets).toHaveLength(1);
  });
});
