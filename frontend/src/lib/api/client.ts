import createClient, { type Middleware } from "openapi-fetch";

import { firebaseAuth } from "@/lib/firebase";

import type { components, paths } from "./schema";

export type Schemas = components["schemas"];
export type Problem = Schemas["Problem"];

/** An API answer other than 2xx, carrying the server's problem+json in words people can read. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly problem: Problem | undefined;

  constructor(status: number, problem: Problem | undefined) {
    super(describeProblem(status, problem));
    this.name = "ApiError";
    this.status = status;
    this.problem = problem;
    // `type` is `/problems/<code>`: a stable code the UI can branch on.
    this.code = problem?.type?.split("/").pop() ?? `http-${status}`;
  }

  /** Field messages keyed by the body field they are about (`schedule.time` → "…"). */
  fieldErrors(): Record<string, string> {
    const fields: Record<string, string> = {};
    for (const error of this.problem?.errors ?? []) {
      const loc = (error.loc ?? []).filter((part) => part !== "body" && typeof part === "string");
      const key = loc.join(".");
      if (key && error.message && !(key in fields)) fields[key] = error.message;
    }
    return fields;
  }
}

function describeProblem(status: number, problem: Problem | undefined): string {
  if (problem?.errors?.length) {
    return problem.errors
      .map((error) => {
        const field = (error.loc ?? []).filter((part) => part !== "body").join(" › ");
        return field ? `${field}: ${error.message}` : error.message;
      })
      .join("; ");
  }
  if (problem?.detail) return problem.detail;
  if (status === 0) return "Chorus cannot be reached. Check your connection and try again.";
  if (status >= 500) return "Something went wrong on our side. Please try again in a moment.";
  return problem?.title ?? `The request failed (HTTP ${status}).`;
}

const authMiddleware: Middleware = {
  async onRequest({ request }) {
    const user = firebaseAuth().currentUser;
    if (user) request.headers.set("Authorization", `Bearer ${await user.getIdToken()}`);
    return request;
  },
};

export const api = createClient<paths>({ baseUrl: "" });
api.use(authMiddleware);

/** The data of an openapi-fetch answer, or an ApiError with the problem the server sent. */
export async function unwrap<T>(
  promise: Promise<{ data?: T; error?: unknown; response: Response }>,
): Promise<T> {
  let answer: { data?: T; error?: unknown; response: Response };
  try {
    answer = await promise;
  } catch {
    throw new ApiError(0, undefined);
  }
  const { data, error, response } = answer;
  if (!response.ok) {
    const problem = error && typeof error === "object" && "title" in error ? (error as Problem) : undefined;
    throw new ApiError(response.status, problem);
  }
  return data as T;
}

/** Words for any error a query or mutation can raise. */
export function errorMessage(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  if (error instanceof Error && error.message) return error.message;
  return "Something went wrong. Please try again.";
}
