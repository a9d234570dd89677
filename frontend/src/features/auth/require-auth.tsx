import type { ReactNode } from "react";
import { Navigate, useLocation } from "react-router";

import { LoadingState } from "@/components/ui/states";

import { useAuth } from "./auth-provider";

/** Shows its children to signed-in people; sends everyone else to sign in and back here after. */
export function RequireAuth({ children }: { children: ReactNode }) {
  const { user, ready } = useAuth();
  const location = useLocation();
  if (!ready) return <LoadingState label="Signing in" />;
  if (!user) {
    const next = location.pathname + location.search;
    return <Navigate to={`/sign-in?next=${encodeURIComponent(next)}`} replace />;
  }
  return <>{children}</>;
}

/** Only paths on this site are followed after sign-in (no open redirect through ?next=). */
export function safeNext(next: string | null, origin: string = window.location.origin): string {
  // Browsers read `/\evil.com` and `/<tab>/evil.com` as other hosts: resolve, then compare.
  const controlOrBackslash = [...(next ?? "")].some((ch) => ch === "\\" || ch.charCodeAt(0) < 0x20);
  if (!next || !next.startsWith("/") || controlOrBackslash) return "/";
  try {
    const url = new URL(next, origin);
    return url.origin === origin ? url.pathname + url.search + url.hash : "/";
  } catch {
    return "/";
  }
}
