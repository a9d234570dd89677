import { type ReactNode, useId, useState } from "react";

import { Field, SelectField, TextField } from "@/components/ui/field";

import {
  EVERY_MAX,
  KINDS,
  MONTHS,
  NTHS,
  type RecurrenceForm,
  type Schedule,
  WEEKDAYS,
  type Weekday,
  fromSchedule,
  kindHas,
  scheduleProblems,
  toSchedule,
  withStart,
} from "./recurrence";

const control =
  "rounded-lg border border-slate-300 bg-white px-3 py-2 text-base text-slate-900 shadow-sm aria-[invalid=true]:border-red-600 disabled:bg-slate-100 disabled:text-slate-500";

const EVERY_UNIT: Partial<Record<Schedule["kind"], [string, string]>> = {
  daily: ["day", "days"],
  weekly: ["week", "weeks"],
  monthly_day: ["month", "months"],
  monthly_weekday: ["month", "months"],
};

// Schedule errors that have a control of their own; any other goes at the top of the picker.
const PLACED = new Set([
  "schedule.every",
  "schedule.weekdays",
  "schedule.day",
  "schedule.nth",
  "schedule.weekday",
  "schedule.month",
  "schedule.unit",
  "schedule.start",
  "schedule.time",
  "schedule.until",
  "schedule.count",
  "schedule.season",
  "schedule.season.start_month",
  "schedule.season.end_month",
]);

function addMonths(start: string, months: number): string {
  const [year, month, day] = start.split("-").map(Number);
  if (!year || !month || !day) return start;
  const date = new Date(Date.UTC(year, month - 1 + months, day));
  return date.toISOString().slice(0, 10);
}

type Props = {
  value: Schedule;
  onChange: (schedule: Schedule) => void;
  /** Errors keyed like the API's, with the kind taken out: "schedule.every", "schedule" … */
  errors?: Record<string, string>;
};

/** Edits a chore's schedule in words people use; shows what the API would refuse as they type. */
export function RecurrencePicker({ value, onChange, errors = {} }: Props) {
  const id = useId();
  const [form, setForm] = useState<RecurrenceForm>(() => fromSchedule(value));
  // What this picker last handed out: a different value means the parent replaced it (say, the
  // chore finished loading), and the form starts over from it.
  const [emitted, setEmitted] = useState(() => JSON.stringify(value));
  const incoming = JSON.stringify(value);
  if (incoming !== emitted) {
    setEmitted(incoming);
    setForm(fromSchedule(value));
  }

  function update(patch: Partial<RecurrenceForm>) {
    const next = patch.start === undefined ? { ...form, ...patch } : { ...withStart(form, patch.start), ...patch };
    const schedule = toSchedule(next);
    setForm(next);
    setEmitted(JSON.stringify(schedule));
    onChange(schedule);
  }

  const live = scheduleProblems(toSchedule(form));
  const error = (key: string) => errors[key] ?? live[key];
  const seasonError = error("schedule.season") ?? error("schedule.season.start_month") ?? error("schedule.season.end_month");
  const general = Object.entries(errors)
    .filter(([key]) => (key === "schedule" || key.startsWith("schedule.")) && !PLACED.has(key))
    .map(([, message]) => message);

  const { kind } = form;
  const everyMax = EVERY_MAX[kind];
  const unitWords = EVERY_UNIT[kind];
  const everyNumber = Number(form.every);

  return (
    <fieldset className="space-y-4 rounded-xl border border-slate-200 p-4">
      <legend className="px-1 text-base font-semibold text-slate-900">Schedule</legend>
      {general.length > 0 && (
        <p role="alert" className="rounded-lg border border-red-300 bg-red-50 px-3 py-2 text-sm text-red-800">
          {general.join(" ")}
        </p>
      )}

      <SelectField label="Repeats" value={kind} onChange={(event) => update({ kind: event.target.value as Schedule["kind"] })}>
        {KINDS.map((option) => (
          <option key={option.value} value={option.value}>
            {option.label}
          </option>
        ))}
      </SelectField>

      {everyMax !== undefined && kind !== "after_completion" && unitWords && (
        <Inline label="Every" error={error("schedule.every")} after={everyNumber === 1 ? unitWords[0] : unitWords[1]}>
          {(props) => (
            <input
              {...props}
              type="number"
              inputMode="numeric"
              min={1}
              max={everyMax}
              step={1}
              value={form.every}
              onChange={(event) => update({ every: event.target.value })}
              className={`${control} w-24`}
            />
          )}
        </Inline>
      )}

      {kind === "after_completion" && (
        <Inline label="Due again" error={error("schedule.every") ?? error("schedule.unit")} after="after it is done">
          {(props) => (
            <>
              <input
                {...props}
                type="number"
                inputMode="numeric"
                min={1}
                max={everyMax}
                step={1}
                value={form.every}
                onChange={(event) => update({ every: event.target.value })}
                className={`${control} w-24`}
              />
              <select
                aria-label="Unit"
                value={form.unit}
                onChange={(event) => update({ unit: event.target.value as RecurrenceForm["unit"] })}
                className={control}
              >
                <option value="days">{everyNumber === 1 ? "day" : "days"}</option>
                <option value="weeks">{everyNumber === 1 ? "week" : "weeks"}</option>
              </select>
            </>
          )}
        </Inline>
      )}

      {kind === "weekly" && (
        <fieldset aria-describedby={error("schedule.weekdays") ? `${id}-weekdays-error` : undefined}>
          <legend className="mb-1 block text-sm font-medium text-slate-800">On these days</legend>
          <div className="flex flex-wrap gap-1.5">
            {WEEKDAYS.map((day) => {
              const pressed = form.weekdays.includes(day.value);
              return (
                <button
                  key={day.value}
                  type="button"
                  aria-pressed={pressed}
                  aria-label={day.long}
                  onClick={() => update({ weekdays: toggle(form.weekdays, day.value) })}
                  className={`min-h-10 min-w-12 rounded-lg px-2 text-sm font-medium ring-1 ${
                    pressed ? "bg-brand-700 text-white ring-brand-700" : "bg-white text-slate-800 ring-slate-300 hover:bg-slate-100"
                  }`}
                >
                  {day.short}
                </button>
              );
            })}
          </div>
          {error("schedule.weekdays") && (
            <p id={`${id}-weekdays-error`} role="alert" className="mt-1 text-sm font-medium text-red-700">
              {error("schedule.weekdays")}
            </p>
          )}
        </fieldset>
      )}

      {kind === "monthly_day" && (
        <TextField
          label="Day of the month"
          type="number"
          inputMode="numeric"
          min={1}
          max={31}
          step={1}
          className="w-24"
          value={form.day}
          onChange={(event) => update({ day: event.target.value })}
          error={error("schedule.day")}
          hint="29, 30 or 31 fall on the last day of shorter months."
        />
      )}

      {kind === "monthly_weekday" && (
        <div className="grid gap-3 sm:grid-cols-2">
          <SelectField
            label="Which one"
            value={String(form.nth)}
            onChange={(event) => update({ nth: Number(event.target.value) as RecurrenceForm["nth"] })}
            error={error("schedule.nth")}
          >
            {NTHS.map((nth) => (
              <option key={nth.value} value={nth.value}>
                {nth.label}
              </option>
            ))}
          </SelectField>
          <SelectField
            label="Day of the week"
            value={form.weekday}
            onChange={(event) => update({ weekday: event.target.value as Weekday })}
            error={error("schedule.weekday")}
            hint="of the month"
          >
            {WEEKDAYS.map((day) => (
              <option key={day.value} value={day.value}>
                {day.long}
              </option>
            ))}
          </SelectField>
        </div>
      )}

      {kind === "yearly" && (
        <div className="grid gap-3 sm:grid-cols-2">
          <SelectField label="Month" value={String(form.month)} onChange={(event) => update({ month: Number(event.target.value) })} error={error("schedule.month")}>
            {MONTHS.map((name, index) => (
              <option key={name} value={index + 1}>
                {name}
              </option>
            ))}
          </SelectField>
          <TextField
            label="Day"
            type="number"
            inputMode="numeric"
            min={1}
            max={31}
            step={1}
            value={form.day}
            onChange={(event) => update({ day: event.target.value })}
            error={error("schedule.day")}
          />
        </div>
      )}

      <div className="grid gap-3 sm:grid-cols-2">
        <TextField
          label={kind === "once" ? "Date" : "Starts on"}
          type="date"
          required
          value={form.start}
          onChange={(event) => update({ start: event.target.value })}
          error={error("schedule.start")}
          hint={kind === "after_completion" ? "The first time it is due." : undefined}
        />
        <div className="space-y-2">
          <TextField
            label="Time"
            type="time"
            value={form.time}
            disabled={form.allDay}
            onChange={(event) => update({ time: event.target.value })}
            error={form.allDay ? undefined : error("schedule.time")}
          />
          <Checkbox label="All day" checked={form.allDay} onChange={(allDay) => update({ allDay })} hint="Due by the end of the day" />
        </div>
      </div>

      {kindHas.ending(kind) && (
        <fieldset className="space-y-2">
          <legend className="mb-1 block text-sm font-medium text-slate-800">Ends</legend>
          <div className="flex flex-wrap gap-x-4 gap-y-2">
            <Radio name={`${id}-ending`} label="Never" checked={form.ending === "never"} onChange={() => update({ ending: "never" })} />
            <Radio
              name={`${id}-ending`}
              label="On a date"
              checked={form.ending === "until"}
              onChange={() => update({ ending: "until", until: form.until || addMonths(form.start, 3) })}
            />
            <Radio
              name={`${id}-ending`}
              label="After a number of times"
              checked={form.ending === "count"}
              onChange={() => update({ ending: "count", count: form.count || "10" })}
            />
          </div>
          {form.ending === "until" && (
            <TextField label="End date" type="date" min={form.start} value={form.until} onChange={(event) => update({ until: event.target.value })} error={error("schedule.until")} hint="The last day it may be due." />
          )}
          {form.ending === "count" && (
            <TextField
              label="Number of times"
              type="number"
              inputMode="numeric"
              min={1}
              max={1000}
              step={1}
              className="w-28"
              value={form.count}
              onChange={(event) => update({ count: event.target.value })}
              error={error("schedule.count")}
            />
          )}
        </fieldset>
      )}

      {kindHas.season(kind) && (
        <div className="space-y-2">
          <Checkbox label="Only in some months" checked={form.seasonal} onChange={(seasonal) => update({ seasonal })} hint="For example, mowing the lawn from April to October." />
          {form.seasonal && (
            <fieldset className="space-y-1">
              <legend className="mb-1 block text-sm font-medium text-slate-800">Active months</legend>
              <div className="grid gap-3 sm:grid-cols-2">
                <SelectField label="From" value={String(form.seasonStart)} onChange={(event) => update({ seasonStart: Number(event.target.value) })}>
                  {MONTHS.map((name, index) => (
                    <option key={name} value={index + 1}>
                      {name}
                    </option>
                  ))}
                </SelectField>
                <SelectField label="To" value={String(form.seasonEnd)} onChange={(event) => update({ seasonEnd: Number(event.target.value) })}>
                  {MONTHS.map((name, index) => (
                    <option key={name} value={index + 1}>
                      {name}
                    </option>
                  ))}
                </SelectField>
              </div>
              {seasonError && (
                <p role="alert" className="text-sm font-medium text-red-700">
                  {seasonError}
                </p>
              )}
            </fieldset>
          )}
        </div>
      )}
    </fieldset>
  );
}

function toggle(days: Weekday[], day: Weekday): Weekday[] {
  return days.includes(day) ? days.filter((d) => d !== day) : [...days, day];
}

type ControlProps = { id: string; "aria-describedby": string | undefined; "aria-invalid": boolean };

/** A label, a control and words after it on one line: "Every [2] weeks". */
function Inline({ label, error, after, children }: { label: string; error: string | undefined; after: ReactNode; children: (props: ControlProps) => ReactNode }) {
  return (
    <Field label={label} error={error}>
      {({ id, describedBy, invalid }) => (
        <div className="flex flex-wrap items-center gap-2">
          {children({ id, "aria-describedby": describedBy, "aria-invalid": invalid })}
          <span className="text-slate-700">{after}</span>
        </div>
      )}
    </Field>
  );
}

function Checkbox({ label, checked, onChange, hint }: { label: string; checked: boolean; onChange: (checked: boolean) => void; hint?: string }) {
  const id = useId();
  return (
    <div className="flex items-start gap-2">
      <input
        id={id}
        type="checkbox"
        checked={checked}
        onChange={(event) => onChange(event.target.checked)}
        aria-describedby={hint ? `${id}-hint` : undefined}
        className="mt-0.5 size-5 accent-brand-700"
      />
      <div>
        <label htmlFor={id} className="text-sm font-medium text-slate-800">
          {label}
        </label>
        {hint && (
          <p id={`${id}-hint`} className="text-sm text-slate-600">
            {hint}
          </p>
        )}
      </div>
    </div>
  );
}

function Radio({ name, label, checked, onChange }: { name: string; label: string; checked: boolean; onChange: () => void }) {
  return (
    <label className="inline-flex min-h-10 items-center gap-2 text-sm text-slate-800">
      <input type="radio" name={name} checked={checked} onChange={onChange} className="size-4 accent-brand-700" />
      {label}
    </label>
  );
}
