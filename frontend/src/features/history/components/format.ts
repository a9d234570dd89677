import type { Schemas } from "@/lib/api/client";

const MINUS = "\u2212";

/** "45 min", "1 h", "2 h 5 min"; negative amounts (an undo) keep their sign. */
export function formatMinutes(minutes: number): string {
  const sign = minutes < 0 ? MINUS : "";
  const abs = Math.abs(minutes);
  const hours = Math.floor(abs / 60);
  const rest = abs % 60;
  if (!hours) return `${sign}${rest} min`;
  return rest ? `${sign}${hours} h ${rest} min` : `${sign}${hours} h`;
}

/** "+2 points", "−1 point", "0 points". */
export function formatPoints(points: number): string {
  const unit = Math.abs(points) === 1 ? "point" : "points";
  if (points > 0) return `+${points} ${unit}`;
  if (points < 0) return `${MINUS}${Math.abs(points)} ${unit}`;
  return `0 ${unit}`;
}

type Entry = Pick<Schemas["HistoryPublic"], "event" | "credited_name" | "chore_title" | "points" | "effort_minutes">;

/** One line of the activity list: "Bob did Dishes · 10 min · +2 points". */
export function describeEntry(entry: Entry): string {
  const who = entry.credited_name ?? "Someone";
  const chore = entry.chore_title;
  const sign = entry.event === "undone" ? -1 : 1;
  // Skips and misses move no points; an undo takes back what its completion gave.
  const moves = entry.event === "done" || entry.event === "undone";
  const effort = moves && entry.effort_minutes ? formatMinutes(sign * Math.abs(entry.effort_minutes)) : undefined;
  const points = moves && entry.points ? formatPoints(sign * Math.abs(entry.points)) : undefined;
  const sentence = {
    done: `${who} did ${chore}`,
    undone: `${chore} by ${who} was undone`,
    skipped: entry.credited_name ? `${chore} was skipped (${who}’s turn)` : `${chore} was skipped`,
    missed: entry.credited_name ? `${chore} was missed (${who}’s turn)` : `${chore} was missed`,
  }[entry.event];
  return [sentence, effort, points].filter(Boolean).join(" · ");
}
