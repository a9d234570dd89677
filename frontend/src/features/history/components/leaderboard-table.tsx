import type { Schemas } from "@/lib/api/client";

import { formatMinutes } from "./format";

/** Totals per member for the period, most points first (the server's order). */
export function LeaderboardTable({ entries, period }: { entries: Schemas["LeaderboardEntry"][]; period: string }) {
  const totalPoints = entries.reduce((sum, entry) => sum + Math.max(entry.points, 0), 0);
  return (
    <div className="-mx-4 overflow-x-auto px-4">
      <table className="w-full min-w-[20rem] border-collapse text-sm">
        <caption className="pb-2 text-left text-sm text-slate-600">Points, effort and chores done per member · {period.toLowerCase()}</caption>
        <thead>
          <tr className="border-b border-slate-200 text-slate-700">
            <th scope="col" className="py-2 pr-2 text-left font-medium">
              Member
            </th>
            <th scope="col" className="px-2 py-2 text-right font-medium">
              Points
            </th>
            <th scope="col" className="px-2 py-2 text-right font-medium">
              Effort
            </th>
            <th scope="col" className="px-2 py-2 text-right font-medium">
              Done
            </th>
            <th scope="col" className="py-2 pl-2 text-right font-medium">
              Share
            </th>
          </tr>
        </thead>
        <tbody>
          {entries.map((entry) => {
            const share = totalPoints > 0 ? Math.round((Math.max(entry.points, 0) / totalPoints) * 100) : 0;
            return (
              <tr key={entry.user_id} className="border-b border-slate-100 last:border-0">
                <th scope="row" className="max-w-40 truncate py-2 pr-2 text-left font-medium text-slate-900">
                  {entry.display_name}
                </th>
                <td className="px-2 py-2 text-right tabular-nums">{entry.points}</td>
                <td className="whitespace-nowrap px-2 py-2 text-right tabular-nums">{formatMinutes(entry.effort_minutes)}</td>
                <td className="px-2 py-2 text-right tabular-nums">{entry.completed}</td>
                <td className="py-2 pl-2 text-right tabular-nums">
                  <span className="inline-flex items-center justify-end gap-2">
                    <span className="hidden h-2 w-16 overflow-hidden rounded-full bg-slate-200 sm:inline-block" aria-hidden>
                      <span className="block h-full bg-brand-600" style={{ width: `${share}%` }} />
                    </span>
                    {share}%
                  </span>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
