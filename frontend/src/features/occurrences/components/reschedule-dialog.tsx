import { type FormEvent, useState } from "react";
import { toast } from "sonner";

import { Button } from "@/components/ui/button";
import { Dialog } from "@/components/ui/dialog";
import { FormError, TextField } from "@/components/ui/field";
import { ApiError } from "@/lib/api/client";
import { formatDue } from "@/lib/time";

import { useRescheduleOccurrence } from "../api/reschedule-occurrence";
import { type Occurrence, addDays, dayOf, dayStartOf, toLocalInput, toZonedIso, zonedToInstant } from "./occurrence-view";

type Props = { open: boolean; onClose: () => void; occurrence: Occurrence; householdId: string; timeZone: string };

export function RescheduleDialog({ open, onClose, ...rest }: Props) {
  return (
    <Dialog open={open} onClose={onClose} title={`Reschedule “${rest.occurrence.chore_title}”`}>
      <RescheduleForm {...rest} onDone={onClose} />
    </Dialog>
  );
}

/** The new time is read in the household's zone, whatever zone this device is in. */
function RescheduleForm({ occurrence, householdId, timeZone, onDone }: Omit<Props, "open" | "onClose"> & { onDone: () => void }) {
  const allDay = occurrence.all_day;
  const reschedule = useRescheduleOccurrence(householdId);
  const [value, setValue] = useState(() =>
    allDay ? dayOf(occurrence, timeZone) : toLocalInput(new Date(occurrence.due_at), timeZone),
  );
  const [error, setError] = useState<string>();

  function submit(event: FormEvent) {
    event.preventDefault();
    // An all-day chore is due by the end of its day, i.e. at the next midnight.
    const instant = value ? zonedToInstant(allDay ? addDays(value, 1) : value, timeZone) : null;
    if (!instant) {
      setError(allDay ? "Choose a date." : "Choose a date and a time.");
      return;
    }
    setError(undefined);
    reschedule.mutate(
      { occurrenceId: occurrence.id, body: { due_at: toZonedIso(instant, timeZone) } },
      {
        onSuccess: (moved) => {
          const when = formatDue(dayStartOf(moved).toISOString(), { timeZone, allDay });
          toast.success(`“${occurrence.chore_title}” moved to ${when}`);
          onDone();
        },
      },
    );
  }

  const fields = reschedule.error instanceof ApiError ? reschedule.error.fieldErrors() : {};
  return (
    <form onSubmit={submit} className="space-y-4" noValidate>
      <FormError message={reschedule.error && !fields.due_at ? reschedule.error.message : undefined} />
      <TextField
        type={allDay ? "date" : "datetime-local"}
        label={allDay ? "New due date" : "New due time"}
        value={value}
        onChange={(event) => setValue(event.target.value)}
        required
        error={error ?? fields.due_at}
        hint={`In the household’s time zone (${timeZone}). Only this time moves; the chore’s schedule stays.`}
      />
      <div className="flex flex-wrap justify-end gap-2">
        <Button variant="secondary" onClick={onDone}>
          Cancel
        </Button>
        <Button type="submit" busy={reschedule.isPending}>
          Save
        </Button>
      </div>
    </form>
  );
}
