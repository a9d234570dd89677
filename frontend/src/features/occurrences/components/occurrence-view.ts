import type { Schemas } from "@/lib/api/client";

export type Occurrence = Schemas["OccurrencePublic"];
export type Role = Schemas["HouseholdPublic"]["role"];

/** Who is looking: the signed-in user (unknown while loading) and their role in the household. */
export type Viewer = { id: string | undefined; name: string | undefined; role: Role };

/** How many days after today "Coming up" and the Board reach. */
export const DAYS_AHEAD = 7;

// --- Time zones -----------------------------------------------------------------------------------

type WallClock = { year: number; month: number; day: number; hour: number; minute: number; second: number };

const formatters = new Map<string, Intl.DateTimeFormat>();

function wallClock(instant: Date, timeZone: string): WallClock {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    });
    formatters.set(timeZone, formatter);
  }
  const parts: Record<string, number> = {};
  for (const part of formatter.formatToParts(instant)) {
    if (part.type !== "literal") parts[part.type] = Number(part.value);
  }
  return {
    year: parts.year ?? 1970,
    month: parts.month ?? 1,
    day: parts.day ?? 1,
    hour: (parts.hour ?? 0) % 24,
    minute: parts.minute ?? 0,
    second: parts.second ?? 0,
  };
}

/** The zone's offset from UTC at that instant, in minutes (+60 for Berlin in winter). */
export function offsetMinutes(instant: Date, timeZone: string): number {
  const wall = wallClock(instant, timeZone);
  const asUtc = Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute, wall.second);
  return Math.round((asUtc - Math.floor(instant.getTime() / 1000) * 1000) / 60_000);
}

const pad = (value: number, width = 2) => String(Math.abs(value)).padStart(width, "0");

/** "2025-03-03": the calendar date of an instant in the zone. */
export function localDateKey(instant: Date, timeZone: string): string {
  const wall = wallClock(instant, timeZone);
  return `${pad(wall.year, 4)}-${pad(wall.month)}-${pad(wall.day)}`;
}

export function addDays(dateKey: string, days: number): string {
  const [year = 1970, month = 1, day = 1] = dateKey.split("-").map(Number);
  const moved = new Date(Date.UTC(year, month - 1, day + days));
  return moved.toISOString().slice(0, 10);
}

/**
 * The instant a wall-clock time ("2025-03-03T07:30" or a date, meaning midnight) happens in the zone.
 * A time skipped by a DST change lands just after the gap; a repeated one takes the later offset.
 */
export function zonedToInstant(local: string, timeZone: string): Date | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2}))?/.exec(local);
  if (!match) return null;
  const [, year, month, day, hour = "0", minute = "0"] = match;
  const guess = Date.UTC(Number(year), Number(month) - 1, Number(day), Number(hour), Number(minute));
  if (Number.isNaN(guess)) return null;
  const first = offsetMinutes(new Date(guess), timeZone);
  let instant = guess - first * 60_000;
  const second = offsetMinutes(new Date(instant), timeZone);
  if (second !== first) instant = guess - second * 60_000;
  return new Date(instant);
}

/** "2025-03-03T07:30:00+01:00": the instant written with the zone's own offset, for the API. */
export function toZonedIso(instant: Date, timeZone: string): string {
  const wall = wallClock(instant, timeZone);
  const offset = offsetMinutes(instant, timeZone);
  const sign = offset < 0 ? "-" : "+";
  return (
    `${pad(wall.year, 4)}-${pad(wall.month)}-${pad(wall.day)}T${pad(wall.hour)}:${pad(wall.minute)}:${pad(wall.second)}` +
    `${sign}${pad(Math.trunc(offset / 60))}:${pad(offset % 60)}`
  );
}

/** The value for a datetime-local input showing the instant in the zone. */
export function toLocalInput(instant: Date, timeZone: string): string {
  const wall = wallClock(instant, timeZone);
  return `${pad(wall.year, 4)}-${pad(wall.month)}-${pad(wall.day)}T${pad(wall.hour)}:${pad(wall.minute)}`;
}

// --- Occurrences in a household's day --------------------------------------------------------------

/** All-day occurrences are due at the midnight that ends their day, so step back a moment first. */
export function dayStartOf(occurrence: Occurrence): Date {
  const due = Date.parse(occurrence.due_at);
  return new Date(occurrence.all_day ? due - 1 : due);
}

/** The household-local date an occurrence belongs to. */
export function dayOf(occurrence: Occurrence, timeZone: string): string {
  return localDateKey(dayStartOf(occurrence), timeZone);
}

export function isOverdue(occurrence: Occurrence, now: Date): boolean {
  return occurrence.status === "open" && Date.parse(occurrence.due_at) <= now.getTime();
}

/** The `due_before` that covers today and the next `days` days (stable all day, so a stable cache key). */
export function horizon(now: Date, timeZone: string, days = DAYS_AHEAD): string {
  const end = zonedToInstant(addDays(localDateKey(now, timeZone), days + 1), timeZone);
  return (end ?? new Date(now.getTime() + (days + 1) * 86_400_000)).toISOString();
}

/** The list query both My day and the Board read (the same key, so they share a cache entry). */
export function openQuery(dueBefore: string, mine = false) {
  return { status: ["open" as const], due_before: dueBefore, limit: 500, ...(mine ? { mine: true } : {}) };
}

const byDue = (a: Occurrence, b: Occurrence) => Date.parse(a.due_at) - Date.parse(b.due_at) || a.id.localeCompare(b.id);

/** Overdue, the rest of today, and the next `days` days, each by due time, in the household's zone. */
export function splitByDay(items: Occurrence[], now: Date, timeZone: string, days = DAYS_AHEAD) {
  const today = localDateKey(now, timeZone);
  const last = addDays(today, days);
  const overdue: Occurrence[] = [];
  const dueToday: Occurrence[] = [];
  const comingUp: Occurrence[] = [];
  for (const occurrence of [...items].sort(byDue)) {
    if (occurrence.status !== "open") continue;
    const day = dayOf(occurrence, timeZone);
    if (isOverdue(occurrence, now)) overdue.push(occurrence);
    else if (day <= today) dueToday.push(occurrence);
    else if (day <= last) comingUp.push(occurrence);
  }
  return { overdue, today: dueToday, comingUp };
}

/** What My day shows: mine, plus pool occurrences nobody has claimed yet (each once). */
export function mineAndPool(mine: Occurrence[], household: Occurrence[], meId: string | undefined): Occurrence[] {
  const seen = new Map<string, Occurrence>();
  for (const occurrence of mine) seen.set(occurrence.id, occurrence);
  for (const occurrence of household) {
    if (seen.has(occurrence.id)) continue;
    const pool = occurrence.assignee_id === null && occurrence.mode === "pool";
    if (pool || (meId !== undefined && occurrence.assignee_id === meId)) seen.set(occurrence.id, occurrence);
  }
  return [...seen.values()];
}

export type PersonGroup = { key: string; name: string; assigneeId: string | null; items: Occurrence[] };

export const UP_FOR_GRABS = "Up for grabs";

/** One group per person (me first, then by name), then pool items, then anything nobody could take. */
export function groupByPerson(items: Occurrence[], meId: string | undefined): PersonGroup[] {
  const groups = new Map<string, PersonGroup>();
  for (const occurrence of [...items].sort(byDue)) {
    const key = occurrence.assignee_id ?? (occurrence.mode === "pool" ? "pool" : "unassigned");
    let group = groups.get(key);
    if (!group) {
      const name =
        occurrence.assignee_id !== null ? (occurrence.assignee_name ?? "Someone") : key === "pool" ? UP_FOR_GRABS : "Unassigned";
      group = { key, name, assigneeId: occurrence.assignee_id, items: [] };
      groups.set(key, group);
    }
    group.items.push(occurrence);
  }
  const rank = (group: PersonGroup) =>
    group.assigneeId !== null && group.assigneeId === meId ? 0 : group.assigneeId !== null ? 1 : group.key === "pool" ? 2 : 3;
  return [...groups.values()].sort((a, b) => rank(a) - rank(b) || a.name.localeCompare(b.name));
}

// --- What the viewer may do (the server decides; this only hides buttons that would be refused) ----

const isAdmin = (viewer: Viewer) => viewer.role === "owner" || viewer.role === "admin";

export function canComplete(occurrence: Occurrence, viewer: Viewer): boolean {
  return occurrence.for_user_id === null || occurrence.for_user_id === viewer.id || isAdmin(viewer);
}

export function canClaim(occurrence: Occurrence): boolean {
  return occurrence.mode === "pool" && occurrence.assignee_id === null;
}

/** Skip and reschedule: the assignee, an admin, or any adult while nobody has it. */
export function canManage(occurrence: Occurrence, viewer: Viewer): boolean {
  if (isAdmin(viewer)) return true;
  if (occurrence.assignee_id !== null) return occurrence.assignee_id === viewer.id;
  return viewer.role !== "child";
}

export function canReassign(occurrence: Occurrence, viewer: Viewer): boolean {
  return occurrence.mode !== "each_of" && canManage(occurrence, viewer);
}

/** The completion body: an admin ticking off someone's own "each of" instance credits them. */
export function completionBody(occurrence: Occurrence, viewer: Viewer): Schemas["CompletionCreate"] {
  if (occurrence.for_user_id !== null && viewer.id !== undefined && occurrence.for_user_id !== viewer.id) {
    return { on_behalf_of: occurrence.for_user_id };
  }
  return {};
}
