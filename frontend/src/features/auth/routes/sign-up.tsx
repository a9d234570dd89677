import { createUserWithEmailAndPassword, updateProfile } from "firebase/auth";
import { type FormEvent, useState } from "react";
import { Link, Navigate, useNavigate, useSearchParams } from "react-router";

import { Button } from "@/components/ui/button";
import { FormError, TextField } from "@/components/ui/field";
import { updateMe } from "@/features/me/api/update-me";
import { firebaseAuth } from "@/lib/firebase";
import { browserTimeZone } from "@/lib/time";

import { authErrorMessage, useAuth } from "../auth-provider";
import { AuthLayout } from "../components";
import { safeNext } from "../require-auth";

export function SignUpRoute() {
  const { user } = useAuth();
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const next = safeNext(params.get("next"));
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  // Signed in and not in the middle of (or stuck in) creating this account: nothing to do here.
  if (user && !busy && !error) return <Navigate to={next} replace />;

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const name = String(form.get("name")).trim();
    if (!name) {
      setError("Enter the name your household will see.");
      return;
    }
    setBusy(true);
    setError(undefined);
    try {
      // A second try after the profile step failed keeps the account already made.
      const account =
        firebaseAuth().currentUser ??
        (
          await createUserWithEmailAndPassword(
            firebaseAuth(),
            String(form.get("email")).trim(),
            String(form.get("password")),
          )
        ).user;
      await updateProfile(account, { displayName: name });
      // The account row is made on the first API call; set the name the household sees and the
      // zone reminders follow (the browser's; Settings changes it).
      await updateMe({ display_name: name, timezone: browserTimeZone() });
      navigate(next, { replace: true });
    } catch (failure) {
      setError(failure instanceof Error && failure.name === "ApiError" ? failure.message : authErrorMessage(failure));
    } finally {
      setBusy(false);
    }
  }

  const withNext = next === "/" ? "" : `?next=${encodeURIComponent(next)}`;
  return (
    <AuthLayout
      title="Create your account"
      footer={
        <>
          Already have one? <Link className="font-medium text-brand-700 underline" to={`/sign-in${withNext}`}>Sign in</Link>
        </>
      }
    >
      <form onSubmit={submit} className="space-y-4" noValidate>
        <FormError message={error} />
        <TextField label="Your name" name="name" autoComplete="name" maxLength={80} required />
        <TextField label="Email" name="email" type="email" autoComplete="email" required />
        <TextField label="Password" name="password" type="password" autoComplete="new-password" minLength={6} required hint="At least 6 characters." />
        <Button type="submit" busy={busy} className="w-full">
          Create account
        </Button>
      </form>
    </AuthLayout>
  );
}
