import type { Schemas } from "@/lib/api/client";

export type TimeZone = Schemas["HouseholdCreate"]["timezone"] & string;

/** The browser's zone, the usual default for a new household or profile. */
export function browserTimeZone(): TimeZone {
  return (Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC") as TimeZone;
}

/** Zones to offer in a picker: the browser's list (the server checks against IANA's). */
export function timeZones(): TimeZone[] {
  const zones = typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : [];
  return Array.from(new Set(["UTC", ...zones])).sort() as TimeZone[];
}

/** Moves a "2025-03-30" date key by whole calendar days (no clock involved, so DST cannot shift it). */
function shiftDateKey(dateKey: string, days: number): string {
  const [year = 1970, month = 1, day = 1] = dateKey.split("-").map(Number);
  return new Date(Date.UTC(year, month - 1, day + days)).toISOString().slice(0, 10);
}

/** "Today 07:30", "Tomorrow", "Mon 3 Mar 18:00" in the given zone; all-day items show no time. */
export function formatDue(iso: string, { timeZone, allDay = false, now = new Date() }: { timeZone: string; allDay?: boolean; now?: Date }): string {
  const date = new Date(iso);
  const dayFormat = new Intl.DateTimeFormat("en-US", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" });
  const day = (d: Date) => {
    const parts = Object.fromEntries(dayFormat.formatToParts(d).map((part) => [part.type, part.value]));
    return `${parts.year}-${parts.month}-${parts.day}`;
  };
  // Tomorrow is the next calendar date, not now + 24 h: a DST day has 23 or 25 hours.
  const today = day(now);
  const tomorrow = shiftDateKey(today, 1);
  const yesterday = shiftDateKey(today, -1);
  const time = allDay ? "" : ` ${new Intl.DateTimeFormat(undefined, { timeZone, hour: "2-digit", minute: "2-digit" }).format(date)}`;
  const target = day(date);
  if (target === today) return `Today${time}`;
  if (target === tomorrow) return `Tomorrow${time}`;
  if (target === yesterday) return `Yesterday${time}`;
  const label = new Intl.DateTimeFormat(undefined, { timeZone, weekday: "short", day: "numeric", month: "short" }).format(date);
  return `${label}${time}`;
}

export function formatDateTime(iso: string, timeZone?: string): string {
  return new Intl.DateTimeFormat(undefined, { timeZone, dateStyle: "medium", timeStyle: "short" }).format(new Date(iso));
}
