import { z } from "zod";

// What the SPA needs before anything renders, checked once at start: a bad deployment shows a
// clear message instead of failing somewhere inside sign-in.
const ClientConfig = z.object({
  firebase_api_key: z.string().min(1),
  firebase_auth_domain: z.string().min(1),
  firebase_project_id: z.string().min(1),
  auth_emulator_url: z.url().nullable(),
  google_sign_in: z.boolean(),
});
export type ClientConfig = z.infer<typeof ClientConfig>;

const BuildEnv = z.object({
  // Where the relay is, when it is not this origin's /ws (only for unusual deployments).
  VITE_RELAY_URL: z.url().optional(),
});

export const buildEnv = BuildEnv.parse({ VITE_RELAY_URL: import.meta.env.VITE_RELAY_URL || undefined });

export async function loadConfig(): Promise<ClientConfig> {
  const response = await fetch("/api/client-config", { headers: { Accept: "application/json" } });
  if (!response.ok) throw new Error(`The server did not give its settings (HTTP ${response.status}).`);
  const parsed = ClientConfig.safeParse(await response.json());
  if (!parsed.success) throw new Error(`The server's settings are invalid: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

export function relayUrl(): string {
  if (buildEnv.VITE_RELAY_URL) return buildEnv.VITE_RELAY_URL;
  const scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${window.location.host}/ws`;
}
