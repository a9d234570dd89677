import { GoogleAuthProvider, signInWithEmailAndPassword, signInWithPopup } from "firebase/auth";
import { type FormEvent, useState } from "react";
import { Link, Navigate, useSearchParams } from "react-router";

import { Button } from "@/components/ui/button";
import { FormError, TextField } from "@/components/ui/field";
import { firebaseAuth } from "@/lib/firebase";

import { authErrorMessage, useAuth } from "../auth-provider";
import { AuthLayout } from "../components";
import { safeNext } from "../require-auth";

export function SignInRoute() {
  const { user, config } = useAuth();
  const [params] = useSearchParams();
  const next = safeNext(params.get("next"));
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  if (user) return <Navigate to={next} replace />;

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setBusy(true);
    setError(undefined);
    try {
      await signInWithEmailAndPassword(firebaseAuth(), String(form.get("email")).trim(), String(form.get("password")));
    } catch (failure) {
      setError(authErrorMessage(failure));
    } finally {
      setBusy(false);
    }
  }

  async function google() {
    setError(undefined);
    try {
      await signInWithPopup(firebaseAuth(), new GoogleAuthProvider());
    } catch (failure) {
      setError(authErrorMessage(failure));
    }
  }

  const withNext = next === "/" ? "" : `?next=${encodeURIComponent(next)}`;
  return (
    <AuthLayout
      title="Sign in"
      footer={
        <>
          New here? <Link className="font-medium text-brand-700 underline" to={`/sign-up${withNext}`}>Create an account</Link>
        </>
      }
    >
      <form onSubmit={submit} className="space-y-4" noValidate>
        <FormError message={error} />
        <TextField label="Email" name="email" type="email" autoComplete="email" required />
        <TextField label="Password" name="password" type="password" autoComplete="current-password" required />
        <Button type="submit" busy={busy} className="w-full">
          Sign in
        </Button>
        <p className="text-center text-sm">
          <Link className="text-brand-700 underline" to="/reset-password">Forgot your password?</Link>
        </p>
      </form>
      {config.google_sign_in && (
        <Button variant="secondary" className="mt-4 w-full" onClick={google}>
          Continue with Google
        </Button>
      )}
    </AuthLayout>
  );
}
