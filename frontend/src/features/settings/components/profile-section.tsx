import { type FormEvent, useState } from "react";
import { toast } from "sonner";

import { TimeZoneSelect } from "@/components/timezone-select";
import { Button } from "@/components/ui/button";
import { FormError, TextField } from "@/components/ui/field";
import { QueryState } from "@/components/ui/states";
import { useMe } from "@/features/me/api/get-me";
import { useUpdateMe } from "@/features/me/api/update-me";
import { ApiError, type Schemas } from "@/lib/api/client";
import type { TimeZone } from "@/lib/time";

import { SettingsSection } from "./settings-section";

export function ProfileSection() {
  const me = useMe();
  return (
    <SettingsSection title="Profile" description="How the others in your households see you, and the time zone your reminders follow.">
      <QueryState query={me} loading="Loading your profile">
        {(user) => <ProfileForm key={user.id} user={user} />}
      </QueryState>
    </SettingsSection>
  );
}

function ProfileForm({ user }: { user: Schemas["UserPublic"] }) {
  const update = useUpdateMe();
  const [name, setName] = useState(user.display_name);
  const [timezone, setTimezone] = useState(user.timezone as TimeZone);
  const [nameError, setNameError] = useState<string>();

  function submit(event: FormEvent) {
    event.preventDefault();
    if (!name.trim()) {
      setNameError("Enter the name the others should see, e.g. “Sam”.");
      return;
    }
    setNameError(undefined);
    update.mutate({ display_name: name.trim(), timezone }, { onSuccess: () => toast.success("Profile saved") });
  }

  const fields = update.error instanceof ApiError ? update.error.fieldErrors() : {};
  const formError = update.error && !fields.display_name && !fields.timezone ? update.error.message : undefined;
  return (
    <form onSubmit={submit} className="space-y-4" noValidate>
      <FormError message={formError} />
      {user.email && <p className="text-sm text-slate-600">Signed in as {user.email}</p>}
      <TextField
        label="Display name"
        value={name}
        onChange={(event) => setName(event.target.value)}
        maxLength={80}
        autoComplete="nickname"
        error={nameError ?? fields.display_name}
      />
      <TimeZoneSelect label="Your time zone" value={timezone} onChange={setTimezone} error={fields.timezone} />
      <Button type="submit" busy={update.isPending}>
        Save profile
      </Button>
    </form>
  );
}
