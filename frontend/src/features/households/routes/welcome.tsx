import { type FormEvent, useState } from "react";
import { useNavigate } from "react-router";

import { TimeZoneSelect } from "@/components/timezone-select";
import { Button } from "@/components/ui/button";
import { FormError, TextField } from "@/components/ui/field";
import { Card, Page } from "@/components/ui/page";
import { ApiError } from "@/lib/api/client";
import { browserTimeZone } from "@/lib/time";

import { useCreateHousehold } from "../api/create-household";
import { JoinForm } from "../components/join-form";

/** Onboarding: start a household or join one with a code. */
export function WelcomeRoute() {
  const navigate = useNavigate();
  const create = useCreateHousehold();
  const [name, setName] = useState("");
  const [timezone, setTimezone] = useState(browserTimeZone());
  const [nameError, setNameError] = useState<string>();

  function submit(event: FormEvent) {
    event.preventDefault();
    if (!name.trim()) {
      setNameError("Give your household a name, e.g. “The flat on Elm Street”.");
      return;
    }
    setNameError(undefined);
    create.mutate(
      { name: name.trim(), timezone },
      { onSuccess: (household) => navigate(`/h/${household.id}/today`) },
    );
  }

  const fields = create.error instanceof ApiError ? create.error.fieldErrors() : {};
  return (
    <Page title="Welcome to Chorus">
      <p className="text-slate-700">Chorus keeps track of whose turn it is. Start a household, or join the one you were invited to.</p>
      <div className="grid gap-4 md:grid-cols-2">
        <Card>
          <h2 className="mb-3 text-lg font-semibold">Start a household</h2>
          <form onSubmit={submit} className="space-y-4" noValidate>
            <FormError message={create.error && !Object.keys(fields).length ? create.error.message : undefined} />
            <TextField label="Household name" value={name} onChange={(e) => setName(e.target.value)} maxLength={80} error={nameError ?? fields.name} />
            <TimeZoneSelect value={timezone} onChange={setTimezone} error={fields.timezone} />
            <Button type="submit" busy={create.isPending}>
              Create household
            </Button>
          </form>
        </Card>
        <Card>
          <h2 className="mb-3 text-lg font-semibold">Join with a code</h2>
          <JoinForm />
        </Card>
      </div>
    </Page>
  );
}
