import type { Schemas } from "@/lib/api/client";

export type HistoryEntry = Pick<
  Schemas["HistoryPublic"],
  "event" | "credited_id" | "credited_name" | "points" | "effort_minutes" | "created_at"
>;
export type ChartMember = { id: string; name: string };
export type Totals = { points: number; effort: number; completed: number };
/** One ISO week: `start` is its Monday as a local date (YYYY-MM-DD); totals by member id. */
export type WeekTotals = { start: string; totals: Record<string, Totals> };

/** Credit that belongs to nobody any more (the account was deleted). */
export const FORMER_MEMBER: ChartMember = { id: "former-member", name: "Someone who left" };

const DAY_MS = 86_400_000;
const dateFormats = new Map<string, Intl.DateTimeFormat>();

/** The calendar date (YYYY-MM-DD) an instant falls on in a time zone. */
export function localDate(instant: Date, timeZone: string): string {
  let format = dateFormats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" });
    dateFormats.set(timeZone, format);
  }
  const parts = Object.fromEntries(format.formatToParts(instant).map((part) => [part.type, part.value]));
  return `${parts.year}-${parts.month}-${parts.day}`;
}

// Plain dates are counted as UTC midnights, so daylight saving never makes a day 23 or 25 hours.
const dayNumber = (date: string) => Date.parse(`${date}T00:00:00Z`) / DAY_MS;
const dateOf = (day: number) => new Date(day * DAY_MS).toISOString().slice(0, 10);

/** The Monday (ISO weeks start on Monday) of the week a local date is in. */
export function isoWeekStart(date: string): string {
  const day = dayNumber(date);
  const weekday = new Date(day * DAY_MS).getUTCDay(); // 0 = Sunday
  return dateOf(day - ((weekday + 6) % 7));
}

/** "3 Mar" for a week starting on 2025-03-03. */
export function weekLabel(start: string): string {
  return new Intl.DateTimeFormat("en-GB", { timeZone: "UTC", day: "numeric", month: "short" }).format(new Date(`${start}T00:00:00Z`));
}

/**
 * Points, effort and completions per member per ISO week (in `timeZone`) for entries after `since`
 * up to `until`. A done adds; an undo takes its completion back whatever sign the server gave its
 * numbers; skips and misses move nothing. Every week in the range is present, every member has
 * totals in every week (zero when idle), and `members` come first, in the order given.
 */
export function weeklyTotals(
  entries: readonly HistoryEntry[],
  { timeZone, since, until, members = [] }: { timeZone: string; since: Date; until: Date; members?: readonly ChartMember[] },
): { members: ChartMember[]; weeks: WeekTotals[] } {
  const first = dayNumber(isoWeekStart(localDate(since, timeZone)));
  const last = dayNumber(isoWeekStart(localDate(until, timeZone)));
  const weeks: WeekTotals[] = [];
  for (let day = first; day <= last; day += 7) weeks.push({ start: dateOf(day), totals: {} });
  const byStart = new Map(weeks.map((week) => [week.start, week]));

  const chartMembers = [...members];
  const known = new Set(chartMembers.map((member) => member.id));
  const sinceMs = since.getTime();
  const untilMs = until.getTime();

  for (const entry of entries) {
    if (entry.event !== "done" && entry.event !== "undone") continue;
    const at = Date.parse(entry.created_at);
    // Like the leaderboard: strictly after `since`.
    if (!(at > sinceMs && at <= untilMs)) continue;
    const week = byStart.get(isoWeekStart(localDate(new Date(at), timeZone)));
    if (!week) continue;
    const member = entry.credited_id ? { id: entry.credited_id, name: entry.credited_name ?? FORMER_MEMBER.name } : FORMER_MEMBER;
    if (!known.has(member.id)) {
      known.add(member.id);
      chartMembers.push(member);
    }
    const sign = entry.event === "done" ? 1 : -1;
    const totals = (week.totals[member.id] ??= { points: 0, effort: 0, completed: 0 });
    totals.points += sign * Math.abs(entry.points);
    totals.effort += sign * Math.abs(entry.effort_minutes);
    totals.completed += sign;
  }

  for (const week of weeks) {
    for (const member of chartMembers) week.totals[member.id] ??= { points: 0, effort: 0, completed: 0 };
  }
  return { members: chartMembers, weeks };
}
