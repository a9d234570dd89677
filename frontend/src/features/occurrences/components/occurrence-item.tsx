import { useId, useState } from "react";

import { formatDue } from "@/lib/time";

import { OccurrenceActions } from "./occurrence-actions";
import { type Occurrence, type Viewer, dayStartOf, isOverdue } from "./occurrence-view";

type Props = {
  occurrence: Occurrence;
  householdId: string;
  viewer: Viewer;
  timeZone: string;
  now: Date;
  /** Tag unclaimed pool items "Up for grabs" (My day; the Board has a section for them). */
  showPoolTag?: boolean;
};

/** One occurrence as a list item: what, when (in the household's zone), where, how long, and why. */
export function OccurrenceItem({ occurrence, householdId, viewer, timeZone, now, showPoolTag = false }: Props) {
  const overdue = isOverdue(occurrence, now);
  const due = formatDue(dayStartOf(occurrence).toISOString(), { timeZone, allDay: occurrence.all_day, now });
  const pool = occurrence.mode === "pool" && occurrence.assignee_id === null;

  return (
    <li
      className={`rounded-xl bg-white p-3 shadow-sm ring-1 ${overdue ? "ring-red-300" : "ring-slate-200"}`}
    >
      <div className="flex flex-wrap items-start gap-x-3 gap-y-2">
        <div className="min-w-0 flex-1 basis-48">
          <p className="font-medium break-words text-slate-900">{occurrence.chore_title}</p>
          <p className="mt-0.5 flex flex-wrap items-center gap-x-1.5 text-sm text-slate-600">
            {overdue && (
              <span className="rounded bg-red-100 px-1.5 py-0.5 text-xs font-semibold text-red-800">Overdue</span>
            )}
            {showPoolTag && pool && (
              <span className="rounded bg-amber-100 px-1.5 py-0.5 text-xs font-semibold text-amber-900">Up for grabs</span>
            )}
            <time dateTime={occurrence.due_at} className={overdue ? "font-medium text-red-800" : undefined}>
              {due}
            </time>
            {occurrence.room && (
              <>
                <span aria-hidden>·</span>
                <span>{occurrence.room}</span>
              </>
            )}
            <span aria-hidden>·</span>
            <span>{occurrence.effort_minutes} min</span>
            {occurrence.points > 0 && (
              <>
                <span aria-hidden>·</span>
                <span>
                  {occurrence.points} {occurrence.points === 1 ? "point" : "points"}
                </span>
              </>
            )}
          </p>
          <AssignmentReason occurrence={occurrence} />
        </div>
        <OccurrenceActions occurrence={occurrence} householdId={householdId} viewer={viewer} timeZone={timeZone} />
      </div>
    </li>
  );
}

/** The reason on hover (title) and on tap or keyboard (a disclosure), since phones cannot hover. */
function AssignmentReason({ occurrence }: { occurrence: Occurrence }) {
  const [open, setOpen] = useState(false);
  const id = useId();
  const reason = occurrence.assignment_reason.trim();
  if (!reason) return null;
  const title = occurrence.chore_title;
  const label =
    occurrence.assignee_id !== null
      ? `Why is “${title}” assigned to ${occurrence.assignee_name ?? "them"}?`
      : `Why is “${title}” up for grabs?`;
  const sentence = reason.charAt(0).toUpperCase() + reason.slice(1);
  return (
    <div className="mt-1">
      <button
        type="button"
        className="rounded text-sm font-medium text-brand-700 underline decoration-dotted underline-offset-2 hover:text-brand-800"
        aria-label={label}
        aria-expanded={open}
        aria-controls={id}
        title={sentence}
        onClick={() => setOpen((shown) => !shown)}
      >
        Why?
      </button>
      <p id={id} hidden={!open} className="mt-1 text-sm text-slate-700">
        {/[.!?]$/.test(sentence) ? sentence : `${sentence}.`}
      </p>
    </div>
  );
}
