import { useEffect, useState } from "react";

import { Spinner } from "@/components/ui/states";
import { useHousehold } from "@/features/households/api/get-household";
import { ApiError, errorMessage } from "@/lib/api/client";
import { browserTimeZone } from "@/lib/time";

import { useSchedulePreview } from "../api/preview-schedule";
import { type Schedule, describeProblems, formatPreviewDue, normalizeFieldErrors, scheduleProblems } from "./recurrence";

function useDebounced<T>(value: T, ms: number): T {
  const [debounced, setDebounced] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setDebounced(value), ms);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return debounced;
}

function previewError(error: unknown): string {
  if (error instanceof ApiError && error.status === 422) {
    const fields = normalizeFieldErrors(error.fieldErrors());
    if (Object.keys(fields).length) return `This schedule does not work: ${describeProblems(fields)}`;
  }
  return errorMessage(error);
}

/** The next five due dates of the schedule being edited, in the household's time zone. */
export function SchedulePreview({ householdId, schedule }: { householdId: string; schedule: Schedule }) {
  const household = useHousehold(householdId);
  const timeZone = household.data?.timezone ?? browserTimeZone();
  // Keyed on the JSON so a new object with the same schedule does not restart the wait.
  const json = useDebounced(JSON.stringify(schedule), 300);
  const settled = JSON.parse(json) as Schedule;
  const incomplete = Object.keys(scheduleProblems(settled)).length > 0;
  const preview = useSchedulePreview(householdId, incomplete ? null : settled, 5);
  const allDay = settled.time == null;

  let body;
  if (incomplete) {
    body = <p className="text-sm text-slate-700">Complete the schedule above to see when it is due.</p>;
  } else if (preview.isPending) {
    body = <Spinner label="Working out the dates" />;
  } else if (preview.isError) {
    body = <p className="text-sm font-medium text-red-700">{previewError(preview.error)}</p>;
  } else if (preview.data.due_at.length === 0) {
    body = <p className="text-sm text-slate-700">With these settings it will not be due again.</p>;
  } else {
    body = (
      <ol className={`space-y-1 text-sm text-slate-800 ${preview.isFetching ? "opacity-60" : ""}`}>
        {preview.data.due_at.map((iso) => (
          <li key={iso}>{formatPreviewDue(iso, timeZone, allDay)}</li>
        ))}
      </ol>
    );
  }

  return (
    <section aria-labelledby="schedule-preview-title" className="rounded-xl bg-brand-50 p-4 ring-1 ring-brand-100">
      <h3 id="schedule-preview-title" className="text-sm font-semibold text-slate-900">
        Next due dates
      </h3>
      <p className="mb-2 text-xs text-slate-700">
        In the household’s time zone ({timeZone}){settled.kind === "after_completion" ? ", if it is done on time" : ""}.
      </p>
      <div aria-live="polite">{body}</div>
    </section>
  );
}
