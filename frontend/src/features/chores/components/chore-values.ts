import type { Schemas } from "@/lib/api/client";

import { type Schedule, defaultSchedule, fromSchedule, scheduleProblems, toSchedule } from "./recurrence";

type Chore = Schemas["ChorePublic"];
type Member = Schemas["MemberPublic"];
export type ChoreBody = Schemas["ChoreCreate"];
export type Strategy = Chore["strategy"];
export type Mode = Chore["mode"];
export type MissedPolicy = Chore["missed_policy"];

export const STRATEGIES: { value: Strategy; label: string; hint: string }[] = [
  { value: "round_robin", label: "Take turns", hint: "In the order above, skipping anyone who is away." },
  { value: "fixed", label: "Always the first person", hint: "The next one in the list stands in while they are away." },
  { value: "least_loaded", label: "Whoever has done least lately", hint: "Fewest minutes of chores in the last 28 days." },
  { value: "random", label: "Pick someone at random", hint: "Anyone who is not away." },
];

export const MODES: { value: Mode; label: string; hint: string }[] = [
  { value: "one_of", label: "One person", hint: "One of them does it each time." },
  { value: "each_of", label: "Everyone, each their own", hint: "Each of them gets their own to do, say, making their bed." },
  { value: "pool", label: "Whoever claims it", hint: "Nobody is assigned; anyone can take it." },
];

export const MISSED_POLICIES: { value: MissedPolicy; label: string; hint: string }[] = [
  { value: "roll_forward", label: "Mark it missed and move on", hint: "It counts as missed, and the next one is scheduled." },
  { value: "auto_skip", label: "Skip it quietly and move on", hint: "It counts as skipped, not missed, and the next one is scheduled." },
  { value: "keep_open", label: "Keep it open until it is done", hint: "It stays overdue; no new one until it is done." },
];

export const labelOf = <T extends string>(options: { value: T; label: string }[], value: T) =>
  options.find((option) => option.value === value)?.label ?? value;

/** What the chore form holds; numbers stay text while typed. */
export type ChoreFormValues = {
  title: string;
  notes: string;
  room: string;
  effort: string;
  points: string;
  /** Every member's id, in rotation order; the ticked ones are `eligible`, in this order. */
  order: string[];
  eligible: string[];
  strategy: Strategy;
  mode: Mode;
  missedPolicy: MissedPolicy;
  schedule: Schedule;
  paused: boolean;
};

export function newChoreValues(members: Member[], today: string): ChoreFormValues {
  return {
    title: "",
    notes: "",
    room: "",
    effort: "15",
    points: "1",
    order: members.map((member) => member.user_id),
    eligible: [],
    strategy: "round_robin",
    mode: "one_of",
    missedPolicy: "roll_forward",
    schedule: defaultSchedule(today),
    paused: false,
  };
}

/** The form for an existing chore: its people first, in their rotation order, then the others. */
export function choreValues(chore: Chore, members: Member[]): ChoreFormValues {
  const memberIds = new Set(members.map((member) => member.user_id));
  const eligible = chore.eligible.map((member) => member.user_id).filter((id) => memberIds.has(id));
  return {
    title: chore.title,
    notes: chore.notes,
    room: chore.room ?? "",
    effort: String(chore.effort_minutes),
    points: String(chore.points),
    order: [...eligible, ...members.map((member) => member.user_id).filter((id) => !eligible.includes(id))],
    eligible,
    strategy: chore.strategy,
    mode: chore.mode,
    missedPolicy: chore.missed_policy,
    schedule: chore.schedule,
    paused: chore.paused,
  };
}

const integer = (text: string) => (/^\s*\d+\s*$/.test(text) ? Number(text) : Number.NaN);

/** The API body: text trimmed, an empty room is none, people in rotation order. */
export function choreBody(values: ChoreFormValues): ChoreBody {
  return {
    title: values.title.trim(),
    notes: values.notes.trim(),
    room: values.room.trim() || null,
    effort_minutes: integer(values.effort),
    points: integer(values.points),
    eligible: values.order.filter((id) => values.eligible.includes(id)),
    strategy: values.strategy,
    mode: values.mode,
    missed_policy: values.missedPolicy,
    schedule: values.schedule,
    paused: values.paused,
  };
}

const between = (value: number | undefined, min: number, max: number) =>
  typeof value === "number" && Number.isInteger(value) && value >= min && value <= max;

/** What the API would refuse, keyed by its field names, in words for the person typing. */
export function choreProblems(body: ChoreBody): Record<string, string> {
  const problems: Record<string, string> = {};
  if (!body.title) problems.title = "Give the chore a title, e.g. “Take out the bins”.";
  else if (body.title.length > 120) problems.title = "Keep the title to 120 characters.";
  if (body.notes && body.notes.length > 2000) problems.notes = "Keep the notes to 2000 characters.";
  if (body.room && body.room.length > 40) problems.room = "Keep the room to 40 characters.";
  if (!between(body.effort_minutes, 1, 1440)) problems.effort_minutes = "Enter the minutes it takes, from 1 to 1440.";
  if (!between(body.points, 0, 1000)) problems.points = "Enter points from 0 to 1000.";
  if (body.eligible.length === 0) problems.eligible = "Pick at least one person.";
  return { ...problems, ...scheduleProblems(body.schedule) };
}

const normalSchedule = (schedule: Schedule) => JSON.stringify(toSchedule(fromSchedule(schedule)));

/**
 * Only what changed, for update_chore: sending an unchanged schedule or list of people would
 * still make the server recompute (and reassign) the open occurrence.
 */
export function choreChanges(chore: Chore, body: ChoreBody): Schemas["ChoreUpdate"] {
  const changes: Schemas["ChoreUpdate"] = {};
  if (body.title !== chore.title) changes.title = body.title;
  if (body.notes !== chore.notes) changes.notes = body.notes;
  if ((body.room ?? null) !== chore.room) changes.room = body.room ?? null;
  if (body.effort_minutes !== chore.effort_minutes) changes.effort_minutes = body.effort_minutes;
  if (body.points !== chore.points) changes.points = body.points;
  if (JSON.stringify(body.eligible) !== JSON.stringify(chore.eligible.map((member) => member.user_id))) {
    changes.eligible = body.eligible;
  }
  if (body.strategy !== chore.strategy) changes.strategy = body.strategy;
  if (body.mode !== chore.mode) changes.mode = body.mode;
  if (body.missed_policy !== chore.missed_policy) changes.missed_policy = body.missed_policy;
  if (normalSchedule(body.schedule) !== normalSchedule(chore.schedule)) changes.schedule = body.schedule;
  if (body.paused !== chore.paused) changes.paused = body.paused;
  return changes;
}

const FIELD_NAMES: Record<keyof Schemas["ChoreUpdate"], string> = {
  title: "the title",
  notes: "the notes",
  room: "the room",
  effort_minutes: "the effort",
  points: "the points",
  eligible: "who can do it",
  strategy: "how the turn is chosen",
  mode: "the mode",
  missed_policy: "what happens if it is missed",
  schedule: "the schedule",
  paused: "whether it is paused",
  labels: "the labels",
};

/** What differs between two versions of a chore, in words ("the title", "who can do it"). */
export function choreDifferences(before: Chore, after: Chore): string[] {
  const changes = choreChanges(before, {
    title: after.title,
    notes: after.notes,
    room: after.room ?? null,
    effort_minutes: after.effort_minutes,
    points: after.points,
    eligible: after.eligible.map((member) => member.user_id),
    strategy: after.strategy,
    mode: after.mode,
    missed_policy: after.missed_policy,
    schedule: after.schedule,
    paused: after.paused,
  });
  // The form has no labels field, so choreChanges never compares them.
  if (JSON.stringify(before.labels) !== JSON.stringify(after.labels)) changes.labels = after.labels;
  return (Object.keys(changes) as (keyof Schemas["ChoreUpdate"])[]).map((key) => FIELD_NAMES[key]);
}
