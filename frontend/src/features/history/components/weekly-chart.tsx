import { useState } from "react";
import { Bar, BarChart, CartesianGrid, Legend, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";

import { formatMinutes } from "./format";
import { type ChartMember, type WeekTotals, weekLabel } from "./weekly-totals";

type Metric = "points" | "effort";

// Dark enough for text-level contrast on white, and told apart by hue.
const COLORS = ["#0f766e", "#7c3aed", "#c2410c", "#1d4ed8", "#be185d", "#4d7c0f", "#a16207", "#475569"];

// Short enough for a narrow axis: "45 min", "1.5 h".
const axisMinutes = (minutes: number) => (Math.abs(minutes) >= 60 ? `${Number((minutes / 60).toFixed(1))} h` : `${minutes} min`);

const metricWords: Record<Metric, string> = { points: "Points", effort: "Effort" };

/** Points or effort per member per week, stacked, with the same numbers as a table on demand. */
export function WeeklyChart({ members, weeks, period }: { members: ChartMember[]; weeks: WeekTotals[]; period: string }) {
  const [metric, setMetric] = useState<Metric>("points");
  const [showNumbers, setShowNumbers] = useState(false);
  const format = (value: number) => (metric === "effort" ? formatMinutes(value) : String(value));
  const rows = weeks.map((week) => ({
    label: weekLabel(week.start),
    ...Object.fromEntries(members.map((member, index) => [`m${index}`, week.totals[member.id]?.[metric] ?? 0])),
  }));
  const hasNegative = rows.some((row) => Object.values(row).some((value) => typeof value === "number" && value < 0));

  return (
    <div className="space-y-3">
      <div role="group" aria-label="Show in the chart" className="inline-flex rounded-lg bg-slate-100 p-1">
        {(["points", "effort"] as const).map((option) => (
          <button
            key={option}
            type="button"
            aria-pressed={metric === option}
            onClick={() => setMetric(option)}
            className={`min-h-9 rounded-md px-3 text-sm font-medium ${metric === option ? "bg-white text-slate-900 shadow-sm ring-1 ring-slate-300" : "text-slate-700 hover:bg-slate-200"}`}
          >
            {metricWords[option]}
          </button>
        ))}
      </div>
      <figure className="space-y-2">
        <div className="h-64 w-full sm:h-72">
          <ResponsiveContainer width="100%" height="100%">
            <BarChart data={rows} stackOffset="sign" margin={{ top: 8, right: 4, bottom: 0, left: 0 }}>
              <CartesianGrid stroke="#e2e8f0" vertical={false} />
              <XAxis dataKey="label" tick={{ fontSize: 12, fill: "#475569" }} interval="preserveStartEnd" minTickGap={12} />
              <YAxis
                allowDecimals={false}
                width={metric === "effort" ? 48 : 32}
                tick={{ fontSize: 12, fill: "#475569" }}
                tickFormatter={(value: number) => (metric === "effort" ? axisMinutes(value) : String(value))}
              />
              {hasNegative && <ReferenceLine y={0} stroke="#94a3b8" />}
              <Tooltip formatter={(value) => format(Number(value))} labelFormatter={(label) => `Week of ${String(label)}`} />
              <Legend wrapperStyle={{ fontSize: 12 }} />
              {members.map((member, index) => (
                <Bar key={member.id} dataKey={`m${index}`} name={member.name} stackId="week" fill={COLORS[index % COLORS.length]} maxBarSize={48} />
              ))}
            </BarChart>
          </ResponsiveContainer>
        </div>
        <figcaption className="text-sm text-slate-600">
          {metric === "points" ? "Points" : "Effort in minutes"} per member for each week (from Monday, in the household’s time zone) · {period.toLowerCase()}. Undone
          chores count back.
        </figcaption>
      </figure>
      <details className="text-sm" onToggle={(event) => setShowNumbers(event.currentTarget.open)}>
        <summary className="cursor-pointer font-medium text-brand-700">Show the weekly numbers</summary>
        {/* Rendered only while open, so the page keeps one table unless asked for more. */}
        {showNumbers && (
          <div className="mt-2 overflow-x-auto">
            <table className="w-full border-collapse text-sm">
              <caption className="pb-2 text-left text-slate-600">
                {metricWords[metric]} per member per week · {period.toLowerCase()}
              </caption>
              <thead>
                <tr className="border-b border-slate-200 text-slate-700">
                  <th scope="col" className="py-1 pr-2 text-left font-medium">
                    Week of
                  </th>
                  {members.map((member) => (
                    <th key={member.id} scope="col" className="px-2 py-1 text-right font-medium">
                      {member.name}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {weeks.map((week) => (
                  <tr key={week.start} className="border-b border-slate-100 last:border-0">
                    <th scope="row" className="whitespace-nowrap py-1 pr-2 text-left font-normal">
                      {weekLabel(week.start)}
                    </th>
                    {members.map((member) => (
                      <td key={member.id} className="whitespace-nowrap px-2 py-1 text-right tabular-nums">
                        {format(week.totals[member.id]?.[metric] ?? 0)}
                      </td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </details>
    </div>
  );
}
