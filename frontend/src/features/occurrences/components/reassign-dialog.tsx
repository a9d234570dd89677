import { type FormEvent, useState } from "react";
import { toast } from "sonner";

import { Button } from "@/components/ui/button";
import { Dialog } from "@/components/ui/dialog";
import { FormError, SelectField } from "@/components/ui/field";
import { useMembers } from "@/features/members/api/list-members";
import { ApiError, errorMessage } from "@/lib/api/client";

import { useReassignOccurrence } from "../api/reassign-occurrence";
import type { Occurrence } from "./occurrence-view";

type Props = { open: boolean; onClose: () => void; occurrence: Occurrence; householdId: string };

export function ReassignDialog({ open, onClose, ...rest }: Props) {
  return (
    <Dialog open={open} onClose={onClose} title={`Reassign “${rest.occurrence.chore_title}”`}>
      <ReassignForm {...rest} onDone={onClose} />
    </Dialog>
  );
}

function ReassignForm({ occurrence, householdId, onDone }: Omit<Props, "open" | "onClose"> & { onDone: () => void }) {
  const members = useMembers(householdId);
  const reassign = useReassignOccurrence(householdId);
  const [assigneeId, setAssigneeId] = useState(occurrence.assignee_id ?? "");
  const [error, setError] = useState<string>();

  function submit(event: FormEvent) {
    event.preventDefault();
    if (!assigneeId) {
      setError("Choose who should do it.");
      return;
    }
    setError(undefined);
    const name = members.data?.find((member) => member.user_id === assigneeId)?.display_name ?? "them";
    reassign.mutate(
      { occurrenceId: occurrence.id, body: { assignee_id: assigneeId } },
      {
        onSuccess: () => {
          toast.success(`“${occurrence.chore_title}” assigned to ${name}`);
          onDone();
        },
      },
    );
  }

  const fields = reassign.error instanceof ApiError ? reassign.error.fieldErrors() : {};
  const formError = reassign.error && !fields.assignee_id ? reassign.error.message : members.error ? errorMessage(members.error) : undefined;
  return (
    <form onSubmit={submit} className="space-y-4" noValidate>
      <FormError message={formError} />
      <SelectField
        label="Assign to"
        value={assigneeId}
        onChange={(event) => setAssigneeId(event.target.value)}
        disabled={members.isPending}
        required
        error={error ?? fields.assignee_id}
        hint="Only this occurrence changes hands; the chore’s rotation stays."
      >
        {members.isPending && <option value={assigneeId}>Loading members…</option>}
        {!members.isPending && !assigneeId && <option value="">Choose someone</option>}
        {members.data?.map((member) => (
          <option key={member.user_id} value={member.user_id}>
            {member.display_name}
          </option>
        ))}
      </SelectField>
      <div className="flex flex-wrap justify-end gap-2">
        <Button variant="secondary" onClick={onDone}>
          Cancel
        </Button>
        <Button type="submit" busy={reassign.isPending} disabled={members.isPending}>
          Save
        </Button>
      </div>
    </form>
  );
}
