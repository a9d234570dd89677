import { type User, onIdTokenChanged } from "firebase/auth";
import { type ReactNode, createContext, useContext, useEffect, useState } from "react";

import { useQueryClient } from "@tanstack/react-query";

import type { ClientConfig } from "@/config";
import { firebaseAuth } from "@/lib/firebase";

type AuthState = { user: User | null; ready: boolean; config: ClientConfig };

const AuthContext = createContext<AuthState | null>(null);

export function AuthProvider({ config, children }: { config: ClientConfig; children: ReactNode }) {
  const [state, setState] = useState<{ user: User | null; ready: boolean }>({ user: null, ready: false });
  const queryClient = useQueryClient();
  useEffect(
    () =>
      onIdTokenChanged(firebaseAuth(), (user) => {
        setState((previous) => {
          // Someone else signed in (or out): nothing cached for the last person may show.
          if (previous.user?.uid !== user?.uid) queryClient.clear();
          return { user, ready: true };
        });
      }),
    [queryClient],
  );
  return <AuthContext value={{ ...state, config }}>{children}</AuthContext>;
}

export function useAuth(): AuthState {
  const state = useContext(AuthContext);
  if (!state) throw new Error("useAuth outside AuthProvider");
  return state;
}

/** The signed-in user; only for screens behind RequireAuth. */
export function useUser(): User {
  const { user } = useAuth();
  if (!user) throw new Error("useUser without a signed-in user");
  return user;
}

const MESSAGES: Record<string, string> = {
  "auth/invalid-credential": "That email and password do not match an account.",
  "auth/wrong-password": "That email and password do not match an account.",
  "auth/user-not-found": "There is no account with that email.",
  "auth/email-already-in-use": "There is already an account with that email. Sign in instead.",
  "auth/weak-password": "Choose a password of at least 6 characters.",
  "auth/invalid-email": "That does not look like an email address.",
  "auth/missing-email": "Enter your email address.",
  "auth/missing-password": "Enter your password.",
  "auth/too-many-requests": "Too many attempts. Wait a minute and try again.",
  "auth/network-request-failed": "Sign-in service cannot be reached. Check your connection.",
  "auth/popup-closed-by-user": "The Google window was closed before signing in.",
};

/** Firebase's error codes in words. */
export function authErrorMessage(error: unknown): string {
  const code = typeof error === "object" && error && "code" in error ? String(error.code) : "";
  return MESSAGES[code] ?? "Signing in failed. Please try again.";
}
