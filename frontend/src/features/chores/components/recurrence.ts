import type { Schemas } from "@/lib/api/client";

/** A chore's schedule as the API takes it: a union on `kind`. */
export type Schedule = Schemas["ChoreCreate"]["schedule"];
export type Kind = Schedule["kind"];
export type Weekday = Schemas["WeeklySchedule"]["weekdays"][number];
export type Nth = Schemas["MonthlyWeekdaySchedule"]["nth"];
export type Unit = NonNullable<Schemas["AfterCompletionSchedule"]["unit"]>;
export type Ending = "never" | "until" | "count";

/**
 * Everything the picker shows, for every kind at once, so switching "Repeats" back and forth
 * keeps what was typed. Numbers people type stay text until they are sent.
 */
export type RecurrenceForm = {
  kind: Kind;
  every: string;
  weekdays: Weekday[];
  day: string;
  nth: Nth;
  weekday: Weekday;
  month: number;
  unit: Unit;
  start: string;
  allDay: boolean;
  time: string;
  ending: Ending;
  until: string;
  count: string;
  seasonal: boolean;
  seasonStart: number;
  seasonEnd: number;
};

export const KINDS: { value: Kind; label: string }[] = [
  { value: "once", label: "Once" },
  { value: "daily", label: "Every day" },
  { value: "weekly", label: "Every week" },
  { value: "monthly_day", label: "Every month (on a date)" },
  { value: "monthly_weekday", label: "Every month (on a weekday, e.g. last Friday)" },
  { value: "yearly", label: "Every year" },
  { value: "after_completion", label: "After it is done" },
];

export const WEEKDAYS: { value: Weekday; short: string; long: string }[] = [
  { value: "mo", short: "Mon", long: "Monday" },
  { value: "tu", short: "Tue", long: "Tuesday" },
  { value: "we", short: "Wed", long: "Wednesday" },
  { value: "th", short: "Thu", long: "Thursday" },
  { value: "fr", short: "Fri", long: "Friday" },
  { value: "sa", short: "Sat", long: "Saturday" },
  { value: "su", short: "Sun", long: "Sunday" },
];

export const NTHS: { value: Nth; label: string }[] = [
  { value: 1, label: "1st" },
  { value: 2, label: "2nd" },
  { value: 3, label: "3rd" },
  { value: 4, label: "4th" },
  { value: -1, label: "last" },
];

export const MONTHS = [
  "January",
  "February",
  "March",
  "April",
  "May",
  "June",
  "July",
  "August",
  "September",
  "October",
  "November",
  "December",
] as const;

/** The largest `every` the API accepts for each kind that has one. */
export const EVERY_MAX: Partial<Record<Kind, number>> = {
  daily: 365,
  weekly: 52,
  monthly_day: 12,
  monthly_weekday: 12,
  after_completion: 365,
};

const hasEnding = (kind: Kind) => kind !== "once";
const hasSeason = (kind: Kind) => kind !== "once" && kind !== "yearly";
export const kindHas = {
  every: (kind: Kind) => kind in EVERY_MAX,
  ending: hasEnding,
  season: hasSeason,
};

// --- dates, without time zones: a schedule's dates are local calendar dates ---------------------

function parseDate(text: string): { year: number; month: number; day: number } | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!match) return null;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) return null;
  return { year, month, day };
}

function weekdayOf(text: string): Weekday {
  const parsed = parseDate(text);
  const index = parsed ? new Date(Date.UTC(parsed.year, parsed.month - 1, parsed.day)).getUTCDay() : 1;
  // getUTCDay counts from Sunday; WEEKDAYS from Monday.
  return WEEKDAYS[(index + 6) % 7]!.value;
}

/** Today's local date as YYYY-MM-DD, in the given zone (the household's) or the browser's. */
export function todayIn(timeZone?: string, now = new Date()): string {
  return new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" }).format(now);
}

/** "3 Mar 2025": English like the rest of the summary, whatever the browser's language. */
export function formatLocalDate(text: string): string {
  const parsed = parseDate(text);
  if (!parsed) return text;
  return `${parsed.day} ${MONTHS[parsed.month - 1]!.slice(0, 3)} ${parsed.year}`;
}

/** HH:MM from the API's HH:MM or HH:MM:SS. */
export const hhmm = (time: string | null | undefined) => (time ? time.slice(0, 5) : "");

// --- form ↔ schedule ------------------------------------------------------------------------------

/** Defaults that follow from a start date: its weekday, its day of the month, its month. */
function fromStart(start: string): Pick<RecurrenceForm, "weekdays" | "day" | "nth" | "weekday" | "month"> {
  const parsed = parseDate(start);
  const day = parsed?.day ?? 1;
  const weekday = weekdayOf(start);
  // The 29th to 31st are always in the month's last week.
  const nth = (day > 28 ? -1 : Math.ceil(day / 7)) as Nth;
  return { weekdays: [weekday], day: String(day), nth, weekday, month: parsed?.month ?? 1 };
}

/**
 * The form with a new start date. Fields still showing what the old start suggested (its weekday,
 * its day of the month …) follow the new one; anything the person chose stays.
 */
export function withStart(form: RecurrenceForm, start: string): RecurrenceForm {
  const before = fromStart(form.start);
  const after = fromStart(start);
  const next: RecurrenceForm = { ...form, start };
  for (const key of Object.keys(after) as (keyof typeof after)[]) {
    if (JSON.stringify(form[key]) === JSON.stringify(before[key])) Object.assign(next, { [key]: after[key] });
  }
  return next;
}

/** A new chore's schedule: every week on the start date's weekday at 09:00. */
export function defaultForm(start: string): RecurrenceForm {
  return {
    kind: "weekly",
    every: "1",
    unit: "days",
    start,
    allDay: false,
    time: "09:00",
    ending: "never",
    until: "",
    count: "10",
    seasonal: false,
    seasonStart: 4,
    seasonEnd: 10,
    ...fromStart(start),
  };
}

export const defaultSchedule = (start: string): Schedule => toSchedule(defaultForm(start));

/** The form showing a schedule (the API's, or one this module made). */
export function fromSchedule(schedule: Schedule): RecurrenceForm {
  const form: RecurrenceForm = {
    ...defaultForm(schedule.start),
    kind: schedule.kind,
    allDay: schedule.time == null,
    time: hhmm(schedule.time) || "09:00",
  };
  if ("every" in schedule && schedule.every !== undefined) form.every = numberText(schedule.every);
  if ("until" in schedule && schedule.until) {
    form.ending = "until";
    form.until = schedule.until;
  } else if ("count" in schedule && schedule.count != null) {
    form.ending = "count";
    form.count = numberText(schedule.count);
  }
  if ("season" in schedule && schedule.season) {
    form.seasonal = true;
    form.seasonStart = schedule.season.start_month;
    form.seasonEnd = schedule.season.end_month;
  }
  switch (schedule.kind) {
    case "weekly":
      form.weekdays = sortWeekdays(schedule.weekdays);
      break;
    case "monthly_day":
      form.day = numberText(schedule.day);
      break;
    case "monthly_weekday":
      form.nth = schedule.nth;
      form.weekday = schedule.weekday;
      break;
    case "yearly":
      form.month = schedule.month;
      form.day = numberText(schedule.day);
      break;
    case "after_completion":
      form.unit = schedule.unit ?? "days";
      break;
  }
  return form;
}

// JSON has no NaN: a number that is not there (null) comes back as empty text.
const numberText = (value: number | null | undefined) => (typeof value === "number" && Number.isFinite(value) ? String(value) : "");

/** Whole numbers only; anything else is NaN, which `scheduleProblems` reports before sending. */
function integer(text: string): number {
  return /^\s*\d+\s*$/.test(text) ? Number(text) : Number.NaN;
}

export const sortWeekdays = (days: readonly Weekday[]) =>
  WEEKDAYS.map((day) => day.value).filter((day) => days.includes(day));

/** The API schedule for the form: only the fields its kind has (the API refuses others). */
export function toSchedule(form: RecurrenceForm): Schedule {
  const base = { start: form.start, time: form.allDay ? null : form.time };
  const every = integer(form.every);
  const ending =
    form.ending === "until" ? { until: form.until } : form.ending === "count" ? { count: integer(form.count) } : {};
  const season = form.seasonal ? { season: { start_month: form.seasonStart, end_month: form.seasonEnd } } : {};
  switch (form.kind) {
    case "once":
      return { kind: "once", ...base };
    case "daily":
      return { kind: "daily", every, ...base, ...ending, ...season };
    case "weekly":
      return { kind: "weekly", every, weekdays: sortWeekdays(form.weekdays), ...base, ...ending, ...season };
    case "monthly_day":
      return { kind: "monthly_day", every, day: integer(form.day), ...base, ...ending, ...season };
    case "monthly_weekday":
      return { kind: "monthly_weekday", every, nth: form.nth, weekday: form.weekday, ...base, ...ending, ...season };
    case "yearly":
      return { kind: "yearly", month: form.month, day: integer(form.day), ...base, ...ending };
    case "after_completion":
      return { kind: "after_completion", every, unit: form.unit, ...base, ...ending, ...season };
  }
}

// --- checks before sending --------------------------------------------------------------------------

const inRange = (value: number | undefined | null, min: number, max: number) =>
  typeof value === "number" && Number.isInteger(value) && value >= min && value <= max;

/**
 * What the API would refuse, in words, keyed like its field errors ("schedule.every"), so a form
 * can say it next to the field without a round trip.
 */
export function scheduleProblems(schedule: Schedule): Record<string, string> {
  const problems: Record<string, string> = {};
  if (!parseDate(schedule.start)) problems["schedule.start"] = "Choose the first date it is due.";
  if (schedule.time !== null && schedule.time !== undefined && !/^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?$/.test(schedule.time)) {
    problems["schedule.time"] = "Enter a time such as 07:30, or tick “All day”.";
  }
  const max = EVERY_MAX[schedule.kind];
  if (max !== undefined && "every" in schedule && !inRange(schedule.every, 1, max)) {
    problems["schedule.every"] = `Enter a whole number from 1 to ${max}.`;
  }
  if (schedule.kind === "weekly" && schedule.weekdays.length === 0) problems["schedule.weekdays"] = "Pick at least one day.";
  if ((schedule.kind === "monthly_day" || schedule.kind === "yearly") && !inRange(schedule.day, 1, 31)) {
    problems["schedule.day"] = "Enter a day from 1 to 31.";
  }
  if ("until" in schedule && schedule.until !== undefined && schedule.until !== null) {
    if (!parseDate(schedule.until)) problems["schedule.until"] = "Choose the last date.";
    else if (parseDate(schedule.start) && schedule.until < schedule.start) {
      problems["schedule.until"] = "The end date cannot be before the start date.";
    }
  }
  if ("count" in schedule && schedule.count !== undefined && schedule.count !== null && !inRange(schedule.count, 1, 1000)) {
    problems["schedule.count"] = "Enter how many times, from 1 to 1000.";
  }
  if (
    (schedule.kind === "monthly_day" || schedule.kind === "monthly_weekday") &&
    schedule.season &&
    !problems["schedule.every"] &&
    parseDate(schedule.start)
  ) {
    const every = schedule.every ?? 1;
    const first = parseDate(schedule.start)!.month;
    const reached = new Set(Array.from({ length: 12 }, (_, i) => ((first - 1 + i * every) % 12) + 1));
    if (!seasonMonths(schedule.season.start_month, schedule.season.end_month).some((month) => reached.has(month))) {
      problems["schedule.season"] = `Every ${every} months from ${MONTHS[first - 1]} never lands in these months.`;
    }
  }
  return problems;
}

/** The months of a season, which may wrap (11 → 2 is November to February). */
export function seasonMonths(start: number, end: number): number[] {
  const span = (((end - start) % 12) + 12) % 12;
  return Array.from({ length: span + 1 }, (_, i) => ((start - 1 + i) % 12) + 1);
}

/**
 * The API's field errors with the schedule's kind taken out of the path: the server reports
 * `schedule.weekly.every`, the form shows `schedule.every`. A problem with the schedule as a
 * whole (say, until before start) is `schedule`.
 */
export function normalizeFieldErrors(fields: Record<string, string>): Record<string, string> {
  const kinds = new Set<string>(KINDS.map((kind) => kind.value));
  const out: Record<string, string> = {};
  for (const [key, message] of Object.entries(fields)) {
    const parts = key.split(".");
    if (parts[0] === "schedule" && parts[1] && kinds.has(parts[1])) parts.splice(1, 1);
    const normalized = parts.join(".");
    if (!(normalized in out)) out[normalized] = cleanMessage(message);
  }
  return out;
}

/** pydantic's "Value error, until must not be before start" → "Until must not be before start". */
export function cleanMessage(message: string): string {
  const text = message.replace(/^(Value|Assertion) error, /, "");
  return text.charAt(0).toUpperCase() + text.slice(1);
}

const FIELD_NAMES: Record<string, string> = {
  "schedule.every": "Every",
  "schedule.weekdays": "Days",
  "schedule.day": "Day of the month",
  "schedule.nth": "Which one",
  "schedule.weekday": "Weekday",
  "schedule.month": "Month",
  "schedule.unit": "Unit",
  "schedule.start": "Starts on",
  "schedule.time": "Time",
  "schedule.until": "End date",
  "schedule.count": "Number of times",
  "schedule.season": "Season",
  "schedule.season.start_month": "Season",
  "schedule.season.end_month": "Season",
};

/** The schedule's problems as one sentence list, e.g. for the preview. */
export function describeProblems(problems: Record<string, string>): string {
  return Object.entries(problems)
    .map(([key, message]) => (FIELD_NAMES[key] ? `${FIELD_NAMES[key]}: ${message}` : message))
    .join(" ");
}

// --- summary --------------------------------------------------------------------------------------

function list(items: string[]): string {
  if (items.length <= 1) return items.join("");
  return `${items.slice(0, -1).join(", ")} and ${items[items.length - 1]}`;
}

function ordinal(day: number): string {
  const tens = day % 100;
  if (tens >= 11 && tens <= 13) return `${day}th`;
  return `${day}${({ 1: "st", 2: "nd", 3: "rd" } as Record<number, string>)[day % 10] ?? "th"}`;
}

const every = (n: number | undefined, one: string, many: string) => (!n || n === 1 ? `Every ${one}` : `Every ${n} ${many}`);
const weekdayName = (value: Weekday, style: "short" | "long") => WEEKDAYS.find((day) => day.value === value)![style];

/**
 * The schedule in a sentence: "Every 2 weeks on Mon and Thu at 07:00",
 * "Last Friday of every month at 19:30", "3 days after it is done".
 */
export function describeSchedule(schedule: Schedule): string {
  const at = schedule.time ? ` at ${hhmm(schedule.time)}` : "";
  let text: string;
  switch (schedule.kind) {
    case "once":
      return `Once on ${formatLocalDate(schedule.start)}${at}`;
    case "daily":
      text = `${every(schedule.every, "day", "days")}${at}`;
      break;
    case "weekly":
      text = `${every(schedule.every, "week", "weeks")} on ${list(sortWeekdays(schedule.weekdays).map((day) => weekdayName(day, "short")))}${at}`;
      break;
    case "monthly_day":
      text = `${every(schedule.every, "month", "months")} on the ${ordinal(schedule.day)}${at}`;
      break;
    case "monthly_weekday": {
      const which = NTHS.find((nth) => nth.value === schedule.nth)?.label ?? String(schedule.nth);
      const head = `${which.charAt(0).toUpperCase()}${which.slice(1)} ${weekdayName(schedule.weekday, "long")}`;
      text =
        !schedule.every || schedule.every === 1
          ? `${head} of every month${at}`
          : `${head} of the month, every ${schedule.every} months${at}`;
      break;
    }
    case "yearly":
      text = `Every year on ${schedule.day} ${MONTHS[schedule.month - 1] ?? `month ${schedule.month}`}${at}`;
      break;
    case "after_completion": {
      const n = schedule.every ?? 1;
      const unit = (schedule.unit ?? "days") === "weeks" ? "week" : "day";
      text = `${n} ${unit}${n === 1 ? "" : "s"} after it is done${at}`;
      break;
    }
  }
  if ("season" in schedule && schedule.season) {
    text += `, only ${MONTHS[schedule.season.start_month - 1]} to ${MONTHS[schedule.season.end_month - 1]}`;
  }
  if (schedule.until) text += `, until ${formatLocalDate(schedule.until)}`;
  else if (schedule.count) text += `, ${schedule.count} time${schedule.count === 1 ? "" : "s"}`;
  return text;
}

// --- preview ----------------------------------------------------------------------------------------

/**
 * An all-day due time is the end of its day, the next midnight; a moment before it is still on
 * the day it belongs to, which is the one to show.
 */
export const lastMomentOfDay = (iso: string, allDay: boolean) => (allDay ? new Date(new Date(iso).getTime() - 1).toISOString() : iso);

/**
 * A preview due time in the household's zone. An all-day one is due at the end of its day
 * (the next midnight), so its day is the one just before that instant.
 */
export function formatPreviewDue(iso: string, timeZone: string, allDay: boolean, now = new Date()): string {
  const instant = new Date(lastMomentOfDay(iso, allDay));
  const yearOf = (date: Date) => new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric" }).format(date);
  const options: Intl.DateTimeFormatOptions = { timeZone, weekday: "short", day: "numeric", month: "short" };
  if (yearOf(instant) !== yearOf(now)) options.year = "numeric";
  if (!allDay) Object.assign(options, { hour: "2-digit", minute: "2-digit" });
  const text = new Intl.DateTimeFormat(undefined, options).format(instant);
  return allDay ? `${text}, all day` : text;
}
