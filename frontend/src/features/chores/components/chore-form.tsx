import { type FormEvent, type ReactNode, useEffect, useId, useRef, useState } from "react";
import { Link } from "react-router";

import { Button } from "@/components/ui/button";
import { FormError, SelectField, TextAreaField, TextField } from "@/components/ui/field";
import { QueryState } from "@/components/ui/states";
import { useHousehold } from "@/features/households/api/get-household";
import { useMembers } from "@/features/members/api/list-members";
import { ApiError, type Schemas } from "@/lib/api/client";

import {
  type ChoreBody,
  type ChoreFormValues,
  MISSED_POLICIES,
  MODES,
  STRATEGIES,
  choreBody,
  choreProblems,
  choreValues,
  newChoreValues,
} from "./chore-values";
import { RecurrencePicker } from "./recurrence-picker";
import { normalizeFieldErrors, todayIn } from "./recurrence";
import { SchedulePreview } from "./schedule-preview";

type Props = {
  householdId: string;
  /** The chore being edited; a new one when absent. */
  chore?: Schemas["ChorePublic"];
  submitLabel: string;
  busy: boolean;
  /** The last save's error, shown next to its fields or at the top. */
  error: Error | null;
  onSubmit: (body: ChoreBody) => void;
  cancelTo: string;
};

// Body fields that have a control of their own; an error about any other goes at the top.
const FIELDS = new Set(["title", "notes", "room", "effort_minutes", "points", "eligible", "strategy", "mode", "missed_policy", "paused"]);
const placed = (key: string) => FIELDS.has(key) || key === "schedule" || key.startsWith("schedule.");

/** The chore editor, for new chores and changes; it needs the members to offer. */
export function ChoreForm(props: Props) {
  const members = useMembers(props.householdId);
  const household = useHousehold(props.householdId);
  return (
    <QueryState query={members} loading="Loading members">
      {(list) => <ChoreFormFields {...props} members={list} today={todayIn(household.data?.timezone)} />}
    </QueryState>
  );
}

function ChoreFormFields({
  householdId,
  chore,
  submitLabel,
  busy,
  error,
  onSubmit,
  cancelTo,
  members,
  today,
}: Props & { members: Schemas["MemberPublic"][]; today: string }) {
  const [values, setValues] = useState<ChoreFormValues>(() => (chore ? choreValues(chore, members) : newChoreValues(members, today)));
  const [attempts, setAttempts] = useState(0);
  const formRef = useRef<HTMLFormElement>(null);
  const whoHint = useId();

  const set = <K extends keyof ChoreFormValues>(key: K, value: ChoreFormValues[K]) => setValues((old) => ({ ...old, [key]: value }));

  const byId = new Map(members.map((member) => [member.user_id, member]));
  // Someone who joined while the form was open goes last; someone who left drops out.
  const order = [...values.order.filter((id) => byId.has(id)), ...members.map((m) => m.user_id).filter((id) => !values.order.includes(id))];

  // Checked again on every change once a save was tried, so fixed fields stop complaining.
  const local = attempts > 0 ? choreProblems(choreBody({ ...values, order })) : {};
  const server = error instanceof ApiError ? normalizeFieldErrors(error.fieldErrors()) : {};
  const errors: Record<string, string> = { ...server, ...local };
  const unplaced = Object.entries(server).filter(([key]) => !placed(key));
  const formError =
    error && (!(error instanceof ApiError) || Object.keys(server).length === 0)
      ? error.message
      : unplaced.map(([key, message]) => `${key}: ${message}`).join(" ") || undefined;

  useEffect(() => {
    // After a refused save, take keyboard and screen-reader users to the first field to fix.
    if (attempts === 0) return;
    formRef.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
  }, [attempts, error]);

  function submit(event: FormEvent) {
    event.preventDefault();
    setAttempts((n) => n + 1);
    const body = choreBody({ ...values, order });
    if (Object.keys(choreProblems(body)).length > 0) return;
    onSubmit(body);
  }

  function move(id: string, by: -1 | 1) {
    const index = order.indexOf(id);
    const target = index + by;
    if (index < 0 || target < 0 || target >= order.length) return;
    const next = [...order];
    [next[index], next[target]] = [next[target]!, next[index]!];
    set("order", next);
  }

  const strategyHint = STRATEGIES.find((option) => option.value === values.strategy)?.hint;
  return (
    <form ref={formRef} onSubmit={submit} className="space-y-5" noValidate>
      <FormError message={formError} />
      <TextField label="Title" value={values.title} onChange={(e) => set("title", e.target.value)} maxLength={120} required error={errors.title} />
      <TextAreaField label="Notes" value={values.notes} onChange={(e) => set("notes", e.target.value)} maxLength={2000} rows={3} error={errors.notes} hint="Optional: how to do it, where things are." />
      <div className="grid gap-4 sm:grid-cols-3">
        <TextField label="Room" value={values.room} onChange={(e) => set("room", e.target.value)} maxLength={40} error={errors.room} hint="Optional" />
        <TextField
          label="Effort (minutes)"
          type="number"
          inputMode="numeric"
          min={1}
          max={1440}
          step={1}
          value={values.effort}
          onChange={(e) => set("effort", e.target.value)}
          error={errors.effort_minutes}
        />
        <TextField
          label="Points"
          type="number"
          inputMode="numeric"
          min={0}
          max={1000}
          step={1}
          value={values.points}
          onChange={(e) => set("points", e.target.value)}
          error={errors.points}
        />
      </div>

      <fieldset aria-describedby={whoHint}>
        <legend className="mb-1 block text-sm font-medium text-slate-800">Who can do it</legend>
        <p id={whoHint} className="mb-2 text-sm text-slate-600">
          Turns go in this order; use the arrows to change it.
        </p>
        <ul className="divide-y divide-slate-200 rounded-lg ring-1 ring-slate-200">
          {order.map((id, index) => {
            const member = byId.get(id)!;
            return (
              <li key={id} className="flex items-center gap-2 px-3 py-1.5">
                <MemberCheckbox
                  label={member.display_name}
                  checked={values.eligible.includes(id)}
                  invalid={Boolean(errors.eligible)}
                  onChange={(checked) => set("eligible", checked ? [...values.eligible, id] : values.eligible.filter((other) => other !== id))}
                />
                {order.length > 1 && (
                  <span className="ml-auto flex gap-1">
                    <Button variant="ghost" size="sm" aria-label={`Move ${member.display_name} up`} disabled={index === 0} onClick={() => move(id, -1)}>
                      <span aria-hidden>↑</span>
                    </Button>
                    <Button variant="ghost" size="sm" aria-label={`Move ${member.display_name} down`} disabled={index === order.length - 1} onClick={() => move(id, 1)}>
                      <span aria-hidden>↓</span>
                    </Button>
                  </span>
                )}
              </li>
            );
          })}
        </ul>
        {errors.eligible && (
          <p role="alert" className="mt-1 text-sm font-medium text-red-700">
            {errors.eligible}
          </p>
        )}
      </fieldset>

      <div className="grid gap-4 sm:grid-cols-3">
        <SelectField label="Mode" value={values.mode} onChange={(e) => set("mode", e.target.value as ChoreFormValues["mode"])} error={errors.mode} hint={MODES.find((option) => option.value === values.mode)?.hint}>
          {MODES.map((option) => (
            <option key={option.value} value={option.value}>
              {option.label}
            </option>
          ))}
        </SelectField>
        <SelectField
          label="How the turn is chosen"
          value={values.strategy}
          onChange={(e) => set("strategy", e.target.value as ChoreFormValues["strategy"])}
          error={errors.strategy}
          hint={values.mode === "one_of" ? strategyHint : "Only used when one person does it."}
        >
          {STRATEGIES.map((option) => (
            <option key={option.value} value={option.value}>
              {option.label}
            </option>
          ))}
        </SelectField>
        <SelectField
          label="If it is missed"
          value={values.missedPolicy}
          onChange={(e) => set("missedPolicy", e.target.value as ChoreFormValues["missedPolicy"])}
          error={errors.missed_policy}
          hint={MISSED_POLICIES.find((option) => option.value === values.missedPolicy)?.hint}
        >
          {MISSED_POLICIES.map((option) => (
            <option key={option.value} value={option.value}>
              {option.label}
            </option>
          ))}
        </SelectField>
      </div>

      <RecurrencePicker value={values.schedule} onChange={(schedule) => set("schedule", schedule)} errors={errors} />
      <SchedulePreview householdId={householdId} schedule={values.schedule} />

      <PausedCheckbox checked={values.paused} onChange={(paused) => set("paused", paused)} />

      <div className="flex flex-wrap gap-2">
        <Button type="submit" busy={busy}>
          {submitLabel}
        </Button>
        <Link to={cancelTo} className="inline-flex min-h-10 items-center rounded-lg px-4 py-2.5 text-sm font-medium text-slate-700 hover:bg-slate-200">
          Cancel
        </Link>
      </div>
    </form>
  );
}

function MemberCheckbox({ label, checked, invalid, onChange }: { label: string; checked: boolean; invalid: boolean; onChange: (checked: boolean) => void }) {
  const id = useId();
  return (
    <span className="flex min-h-10 items-center gap-2">
      <input id={id} type="checkbox" checked={checked} aria-invalid={invalid} onChange={(e) => onChange(e.target.checked)} className="size-5 accent-brand-700" />
      <label htmlFor={id} className="text-slate-900">
        {label}
      </label>
    </span>
  );
}

function PausedCheckbox({ checked, onChange }: { checked: boolean; onChange: (checked: boolean) => void }): ReactNode {
  const id = useId();
  return (
    <div className="flex items-start gap-2">
      <input id={id} type="checkbox" checked={checked} onChange={(e) => onChange(e.target.checked)} aria-describedby={`${id}-hint`} className="mt-0.5 size-5 accent-brand-700" />
      <div>
        <label htmlFor={id} className="text-sm font-medium text-slate-800">
          Paused
        </label>
        <p id={`${id}-hint`} className="text-sm text-slate-600">
          Nothing new falls due while it is paused.
        </p>
      </div>
    </div>
  );
}
