/**
 * The connection to the relay (docs/relay-protocol.md), free of React so it can be tested with a
 * fake socket, fake timers and a fake token source.
 *
 * It remembers the last `seq` seen per household and sends it as `since` when it reconnects, so the
 * relay replays what was missed; households it has no position for are loaded over HTTP instead.
 */

export type RelayStatus = "connecting" | "live" | "offline";

export interface RelayEvent {
  household_id: string;
  seq: number;
  /** The event type, e.g. `chore.created`. */
  event: string;
  payload: Record<string, unknown>;
  created_at: string;
}

export interface TokenInfo {
  token: string;
  /** When the token expires, in milliseconds since the epoch. */
  expiresAt: number;
}

export interface SocketHandlers {
  onOpen: () => void;
  onMessage: (data: string) => void;
  onClose: (code: number) => void;
  onError: () => void;
}

export interface SocketHandle {
  send: (data: string) => void;
  close: (code?: number, reason?: string) => void;
}

export type SocketFactory = (url: string, handlers: SocketHandlers) => SocketHandle;

export interface RelayClientOptions {
  url: string | (() => string);
  getToken: (forceRefresh: boolean) => Promise<TokenInfo>;
  createSocket?: SocketFactory;
  setTimeout?: (callback: () => void, ms: number) => unknown;
  clearTimeout?: (handle: unknown) => void;
  now?: () => number;
  random?: () => number;
  onEvent?: (event: RelayEvent) => void;
  /** The relay cannot replay what was missed here: reload the household over HTTP. */
  onResync?: (householdId: string) => void;
  /** A household this client knew is no longer the user's (found out on reconnect). */
  onGone?: (householdId: string) => void;
  onStatus?: (status: RelayStatus) => void;
  backoffBaseMs?: number;
  backoffCapMs?: number;
}

export const BACKOFF_BASE_MS = 500;
export const BACKOFF_CAP_MS = 30_000;
/** A connection that was ready this long was a good one: the next failure starts backing off afresh. */
export const STABLE_MS = 10_000;
/** The relay pings every 20 s; this long without hearing from it means the connection is dead. */
export const SILENCE_MS = 45_000;
export const RENEW_BEFORE_MS = 2 * 60_000;
export const RENEW_RETRY_MS = 30_000;
/** Spread over this window, clients of a restarting relay do not all reconnect at the same moment. */
export const RESTART_JITTER_MS = 1_000;

const CLOSE_RESTART = 1012;
const CLOSE_UNAUTHORIZED = 4401;
const CLOSE_ABNORMAL = 1006;

interface Connection {
  socket: SocketHandle | null;
  phase: "opening" | "authenticating" | "ready";
  readyAt: number | null;
  restart: boolean;
  silenceTimer: unknown;
  renewTimer: unknown;
  renewing: boolean;
}

export const browserSocket: SocketFactory = (url, handlers) => {
  const socket = new WebSocket(url);
  socket.onopen = () => handlers.onOpen();
  socket.onmessage = (message) => {
    if (typeof message.data === "string") handlers.onMessage(message.data);
  };
  socket.onclose = (event) => handlers.onClose(event.code);
  socket.onerror = () => handlers.onError();
  return {
    send: (data) => socket.send(data),
    close: (code, reason) => socket.close(code, reason),
  };
};

export class RelayClient {
  private readonly options: RelayClientOptions;
  private readonly createSocket: SocketFactory;
  private readonly setTimer: (callback: () => void, ms: number) => unknown;
  private readonly clearTimer: (handle: unknown) => void;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly baseMs: number;
  private readonly capMs: number;

  private readonly lastSeq = new Map<string, number>();
  /** Households from the last `ready`, plus those joined since. */
  private readonly known = new Set<string>();
  /** Households the app knows of that this connection may not: checked against the next `ready`. */
  private readonly expected = new Set<string>();
  /** Expected households already reconnected for once (so a stale list cannot cause a loop). */
  private readonly tried = new Set<string>();

  private conn: Connection | null = null;
  private generation = 0;
  private started = false;
  private stopped = false;
  private attempt = 0;
  private retryTimer: unknown = null;
  private forceRefresh = false;
  private token: TokenInfo | null = null;
  private currentStatus: RelayStatus = "offline";

  constructor(options: RelayClientOptions) {
    this.options = options;
    this.createSocket = options.createSocket ?? browserSocket;
    this.setTimer = options.setTimeout ?? ((callback, ms) => globalThis.setTimeout(callback, ms));
    this.clearTimer =
      options.clearTimeout ?? ((handle) => globalThis.clearTimeout(handle as ReturnType<typeof setTimeout>));
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
    this.baseMs = options.backoffBaseMs ?? BACKOFF_BASE_MS;
    this.capMs = options.backoffCapMs ?? BACKOFF_CAP_MS;
  }

  /** The last `seq` seen per household. */
  get since(): Record<string, number> {
    return Object.fromEntries(this.lastSeq);
  }

  get status(): RelayStatus {
    return this.currentStatus;
  }

  /** Whether the connection delivers this household's events. */
  knows(householdId: string): boolean {
    return this.known.has(householdId);
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    void this.connect();
  }

  stop(): void {
    this.stopped = true;
    this.generation += 1;
    this.clearRetry();
    const conn = this.conn;
    this.conn = null;
    if (conn) this.dispose(conn, 1000);
    this.setStatus("offline");
  }

  /** Waiting to retry (e.g. the browser came back online): try now instead. */
  retryNow(): void {
    if (this.stopped || !this.started || this.conn || this.retryTimer === null) return;
    this.clearRetry();
    void this.connect();
  }

  /** Drop the connection and open a new one at once (with `since`). */
  reconnect(): void {
    if (this.stopped || !this.started) return;
    const conn = this.conn;
    this.conn = null;
    if (conn) this.dispose(conn, 1000);
    this.clearRetry();
    void this.connect();
  }

  /**
   * The households the app says the user belongs to. One the connection does not deliver (created
   * or joined since it connected) needs a new connection: the relay reads memberships at `ready`.
   */
  expect(householdIds: Iterable<string>): void {
    for (const id of householdIds) {
      if (!this.known.has(id) && !this.tried.has(id)) this.expected.add(id);
    }
    if (this.expected.size > 0 && this.conn?.phase === "ready") this.reconnectForExpected();
  }

  /** The user lost this household (left, removed, deleted): no position to keep for it. */
  forget(householdId: string): void {
    this.lastSeq.delete(householdId);
    this.known.delete(householdId);
  }

  /** Firebase has a new ID token: hand it to the relay now. */
  tokenChanged(): void {
    if (this.conn?.phase === "ready") void this.renew(this.conn);
  }

  // --- connecting ----------------------------------------------------------------------------

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const generation = ++this.generation;
    this.setStatus("connecting");
    let token: TokenInfo;
    try {
      token = await this.options.getToken(this.forceRefresh);
    } catch {
      if (generation === this.generation && !this.stopped) this.scheduleRetry(false);
      return;
    }
    if (generation !== this.generation || this.stopped) return;
    this.forceRefresh = false;
    this.token = token;
    const conn: Connection = {
      socket: null,
      phase: "opening",
      readyAt: null,
      restart: false,
      silenceTimer: null,
      renewTimer: null,
      renewing: false,
    };
    this.conn = conn;
    const url = typeof this.options.url === "function" ? this.options.url() : this.options.url;
    try {
      conn.socket = this.createSocket(url, {
        onOpen: () => this.onOpen(conn),
        onMessage: (data) => this.onMessage(conn, data),
        onClose: (code) => this.onClosed(conn, code),
        onError: () => this.onClosed(conn, CLOSE_ABNORMAL),
      });
    } catch {
      this.onClosed(conn, CLOSE_ABNORMAL);
      return;
    }
    // Also covers a connection attempt that hangs without ever opening.
    this.armSilence(conn);
  }

  private onOpen(conn: Connection): void {
    if (conn !== this.conn || !this.token) return;
    conn.phase = "authenticating";
    // The token goes in the first message, never in the URL.
    this.send(conn, { type: "auth", token: this.token.token, since: this.since });
  }

  private onMessage(conn: Connection, data: string): void {
    if (conn !== this.conn) return;
    this.armSilence(conn);
    let message: unknown;
    try {
      message = JSON.parse(data);
    } catch {
      return;
    }
    if (typeof message !== "object" || message === null) return;
    const body = message as Record<string, unknown>;
    switch (body.type) {
      case "ready":
        this.onReady(conn, Array.isArray(body.households) ? body.households.filter(isString) : []);
        break;
      case "event":
        this.onEvent(body);
        break;
      case "ping":
        this.send(conn, { type: "pong" });
        break;
      case "renewed":
        if (typeof body.expires_at === "number") this.scheduleRenewal(conn, body.expires_at * 1000);
        break;
      case "resync":
        if (typeof body.household_id === "string") {
          // The stream goes on from the relay's newest event, which may be below what we saw.
          this.lastSeq.delete(body.household_id);
          this.options.onResync?.(body.household_id);
        }
        break;
      case "reconnect":
        conn.restart = true;
        this.abandon(conn, CLOSE_RESTART);
        break;
    }
  }

  private onReady(conn: Connection, households: string[]): void {
    conn.phase = "ready";
    conn.readyAt = this.now();
    const current = new Set(households);
    const gone = [...this.known].filter((id) => !current.has(id));
    for (const id of gone) this.forget(id);
    for (const id of this.lastSeq.keys()) if (!current.has(id)) this.lastSeq.delete(id);
    for (const id of households) {
      // Without a position the relay starts at the current stream: whatever the app loaded over
      // HTTP before this moment may have missed events (even on the first connection, the page's
      // first requests race the connect), so it reloads what it has of that household.
      if (!this.lastSeq.has(id)) this.options.onResync?.(id);
      this.known.add(id);
      this.expected.delete(id);
      this.tried.delete(id);
    }
    this.setStatus("live");
    for (const id of gone) this.options.onGone?.(id);
    if (this.token) this.scheduleRenewal(conn, this.token.expiresAt);
    if (this.expected.size > 0 && this.conn === conn) this.reconnectForExpected();
  }

  private onEvent(body: Record<string, unknown>): void {
    const householdId = body.household_id;
    const seq = body.seq;
    if (typeof householdId !== "string" || typeof seq !== "number" || typeof body.event !== "string") return;
    const last = this.lastSeq.get(householdId);
    if (last !== undefined && seq <= last) return;
    this.lastSeq.set(householdId, seq);
    this.known.add(householdId);
    this.expected.delete(householdId);
    const payload = typeof body.payload === "object" && body.payload !== null ? body.payload : {};
    this.options.onEvent?.({
      household_id: householdId,
      seq,
      event: body.event,
      payload: payload as Record<string, unknown>,
      created_at: typeof body.created_at === "string" ? body.created_at : "",
    });
    if (body.event === "household.deleted") this.forget(householdId);
  }

  private reconnectForExpected(): void {
    for (const id of this.expected) this.tried.add(id);
    this.expected.clear();
    this.reconnect();
  }

  // --- closing and retrying ------------------------------------------------------------------

  /** Give up on a connection we consider dead or finished, without waiting for its close event. */
  private abandon(conn: Connection, code: number): void {
    if (conn !== this.conn) return;
    this.dispose(conn, 1000);
    this.onClosed(conn, code);
  }

  private onClosed(conn: Connection, code: number): void {
    if (conn !== this.conn) return;
    this.conn = null;
    this.dispose(conn);
    if (this.stopped) return;
    const stable = conn.readyAt !== null && this.now() - conn.readyAt >= STABLE_MS;
    if (stable) this.attempt = 0;
    if (code === CLOSE_UNAUTHORIZED) this.forceRefresh = true;
    // A restart right after connecting (a replica that keeps restarting) backs off like any failure.
    this.scheduleRetry(stable && (conn.restart || code === CLOSE_RESTART));
  }

  private dispose(conn: Connection, closeCode?: number): void {
    this.clearTimer(conn.silenceTimer);
    this.clearTimer(conn.renewTimer);
    conn.silenceTimer = null;
    conn.renewTimer = null;
    if (closeCode !== undefined) {
      try {
        conn.socket?.close(closeCode);
      } catch {
        // Already closed.
      }
    }
  }

  /** Full jitter: a random wait up to an exponentially growing ceiling. */
  private backoffDelay(attempt: number): number {
    const ceiling = Math.min(this.capMs, this.baseMs * 2 ** attempt);
    return Math.min(ceiling, Math.max(0, this.random() * ceiling));
  }

  private scheduleRetry(restart: boolean): void {
    this.clearRetry();
    const delay = restart ? this.random() * RESTART_JITTER_MS : this.backoffDelay(this.attempt++);
    this.setStatus("offline");
    this.retryTimer = this.setTimer(() => {
      this.retryTimer = null;
      void this.connect();
    }, delay);
  }

  private clearRetry(): void {
    if (this.retryTimer !== null) this.clearTimer(this.retryTimer);
    this.retryTimer = null;
  }

  private armSilence(conn: Connection): void {
    this.clearTimer(conn.silenceTimer);
    conn.silenceTimer = this.setTimer(() => this.abandon(conn, CLOSE_ABNORMAL), SILENCE_MS);
  }

  // --- token renewal -------------------------------------------------------------------------

  private scheduleRenewal(conn: Connection, expiresAt: number): void {
    if (conn !== this.conn) return;
    this.clearTimer(conn.renewTimer);
    const delay = Math.max(0, expiresAt - RENEW_BEFORE_MS - this.now());
    conn.renewTimer = this.setTimer(() => void this.renew(conn), delay);
  }

  private async renew(conn: Connection): Promise<void> {
    if (conn !== this.conn || conn.phase !== "ready" || conn.renewing) return;
    conn.renewing = true;
    try {
      let token = await this.options.getToken(false);
      if (token.expiresAt - this.now() <= RENEW_BEFORE_MS) token = await this.options.getToken(true);
      if (conn !== this.conn) return;
      if (token.token !== this.token?.token) {
        this.token = token;
        this.send(conn, { type: "auth", token: token.token });
      }
      if (token.expiresAt - this.now() <= RENEW_BEFORE_MS) {
        this.clearTimer(conn.renewTimer);
        conn.renewTimer = this.setTimer(() => void this.renew(conn), RENEW_RETRY_MS);
      } else {
        this.scheduleRenewal(conn, token.expiresAt);
      }
    } catch {
      if (conn === this.conn) {
        this.clearTimer(conn.renewTimer);
        conn.renewTimer = this.setTimer(() => void this.renew(conn), RENEW_RETRY_MS);
      }
    } finally {
      conn.renewing = false;
    }
  }

  // --- helpers -------------------------------------------------------------------------------

  private send(conn: Connection, message: Record<string, unknown>): void {
    try {
      conn.socket?.send(JSON.stringify(message));
    } catch {
      this.abandon(conn, CLOSE_ABNORMAL);
    }
  }

  private setStatus(status: RelayStatus): void {
    if (status === this.currentStatus) return;
    this.currentStatus = status;
    this.options.onStatus?.(status);
  }
}

function isString(value: unknown): value is string {
  return typeof value === "string";
}
