import { sendPasswordResetEmail } from "firebase/auth";
import { type FormEvent, useState } from "react";
import { Link } from "react-router";

import { Button } from "@/components/ui/button";
import { FormError, TextField } from "@/components/ui/field";
import { firebaseAuth } from "@/lib/firebase";

import { authErrorMessage } from "../auth-provider";
import { AuthLayout } from "../components";

export function ResetPasswordRoute() {
  const [sentTo, setSentTo] = useState<string>();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const email = String(new FormData(event.currentTarget).get("email")).trim();
    setBusy(true);
    setError(undefined);
    try {
      await sendPasswordResetEmail(firebaseAuth(), email);
      setSentTo(email);
    } catch (failure) {
      setError(authErrorMessage(failure));
    } finally {
      setBusy(false);
    }
  }

  return (
    <AuthLayout title="Reset your password" footer={<Link className="text-brand-700 underline" to="/sign-in">Back to sign in</Link>}>
      {sentTo ? (
        <p role="status">If there is an account for {sentTo}, a link to choose a new password is on its way.</p>
      ) : (
        <form onSubmit={submit} className="space-y-4" noValidate>
          <FormError message={error} />
          <TextField label="Email" name="email" type="email" autoComplete="email" required />
          <Button type="submit" busy={busy} className="w-full">
            Send reset link
          </Button>
        </form>
      )}
    </AuthLayout>
  );
}
