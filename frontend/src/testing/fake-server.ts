/**
 * The API as the component tests see it: `fetch` answered by `server.handler` (or the answers
 * queued in `server.queue`), every request recorded in `server.calls`. Installed by setup.ts
 * before any test module loads, because openapi-fetch keeps the fetch and Request it finds when
 * the client module loads; Node's Request also needs an origin for the app's relative URLs.
 */
export type Call = { method: string; path: string; search: URLSearchParams; headers: Headers; body: unknown };
/** A JSON answer; "network-error" makes fetch throw; "pending" never answers. */
export type Answer = { status?: number; body?: unknown } | "network-error" | "pending";
export type Handler = (call: Call) => Answer | undefined;

const notFound: Handler = () => ({ status: 404, body: { title: "Not found", status: 404, detail: "no such thing" } });

export const server = { handler: notFound, queue: [] as Answer[], calls: [] as Call[] };

export function resetServer(): void {
  server.handler = notFound;
  server.queue = [];
  server.calls = [];
}

export function installFakeServer(): void {
  const NodeRequest = globalThis.Request;
  globalThis.Request = class extends NodeRequest {
    constructor(input: RequestInfo | URL, init?: RequestInit) {
      super(typeof input === "string" && input.startsWith("/") ? `http://chorus.test${input}` : input, init);
    }
  };
  globalThis.fetch = async (input: RequestInfo | URL) => {
    const request = input as Request;
    const url = new URL(request.url);
    const text = request.method === "GET" ? "" : await request.text();
    const call: Call = {
      method: request.method,
      path: url.pathname,
      search: url.searchParams,
      headers: request.headers,
      body: text ? JSON.parse(text) : undefined,
    };
    server.calls.push(call);
    const answer = server.queue.shift() ?? server.handler(call) ?? notFound(call)!;
    if (answer === "network-error") throw new TypeError("Failed to fetch");
    if (answer === "pending") return new Promise<Response>(() => {});
    const status = answer.status ?? 200;
    if (status === 204) return new Response(null, { status });
    const body = answer.body ?? (status >= 400 ? { title: "Problem", status } : {});
    return new Response(JSON.stringify(body), {
      status,
      headers: { "Content-Type": status >= 400 ? "application/problem+json" : "application/json" },
    });
  };
}
