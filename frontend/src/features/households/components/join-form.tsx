import { type FormEvent, useState } from "react";
import { useNavigate } from "react-router";

import { Button } from "@/components/ui/button";
import { FormError, TextField } from "@/components/ui/field";

import { useJoinHousehold } from "../api/join-household";

export function JoinForm({ initialCode = "" }: { initialCode?: string }) {
  const navigate = useNavigate();
  const join = useJoinHousehold();
  const [code, setCode] = useState(initialCode);
  const [missing, setMissing] = useState(false);

  function submit(event: FormEvent) {
    event.preventDefault();
    if (!code.trim()) {
      setMissing(true);
      return;
    }
    setMissing(false);
    join.mutate(code.trim(), { onSuccess: (household) => navigate(`/h/${household.id}/today`) });
  }

  return (
    <form onSubmit={submit} className="space-y-4" noValidate>
      <FormError message={join.error?.message} />
      <TextField
        label="Invite code"
        value={code}
        onChange={(e) => setCode(e.target.value)}
        placeholder="ABCDE-12345"
        autoCapitalize="characters"
        autoComplete="off"
        maxLength={32}
        error={missing ? "Enter the code from your invite." : undefined}
        hint="Case and dashes do not matter."
      />
      <Button type="submit" busy={join.isPending}>
        Join household
      </Button>
    </form>
  );
}
