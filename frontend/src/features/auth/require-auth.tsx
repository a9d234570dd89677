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

/** Only same-site paths are followed after sign-in (no open redirect through ?next=). */
export function safeNext(next: string | null): string {
  return next && next.startsWith("/") && !next.startsWith("//") ? next : "/";
}
