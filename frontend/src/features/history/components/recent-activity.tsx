import { Button } from "@/components/ui/button";
import { FormError } from "@/components/ui/field";
import { EmptyState, ErrorState, LoadingState } from "@/components/ui/states";
import { errorMessage } from "@/lib/api/client";
import { browserTimeZone, formatDue } from "@/lib/time";

import { useCompletions } from "../api/list-completions";
import { describeEntry } from "./format";

const badges = {
  undone: { text: "Undone", className: "bg-amber-100 text-amber-900" },
  skipped: { text: "Skipped", className: "bg-slate-200 text-slate-800" },
  missed: { text: "Missed", className: "bg-red-100 text-red-800" },
} as const;

/** The household's latest history, 20 at a time. */
export function RecentActivity({ householdId, timeZone }: { householdId: string; timeZone: string | undefined }) {
  const history = useCompletions(householdId, { limit: 20 });
  if (history.isPending) return <LoadingState label="Loading recent activity" />;
  if (!history.data) return <ErrorState error={history.error} retry={() => void history.refetch()} />;
  const entries = history.data.pages.flatMap((page) => page.data);
  if (!entries.length) return <EmptyState title="Nothing has happened yet.">Chores people do, skip or miss show up here.</EmptyState>;
  return (
    <div className="space-y-3">
      <ul className="divide-y divide-slate-100">
        {entries.map((entry) => {
          const badge = entry.event === "done" ? undefined : badges[entry.event];
          return (
            <li key={entry.id} className="flex items-start gap-3 py-2">
              <div className="min-w-0 flex-1 space-y-0.5">
                <p className={entry.event === "done" ? "text-slate-900" : "text-slate-700"}>{describeEntry(entry)}</p>
                {entry.note && <p className="text-sm text-slate-600 italic">“{entry.note}”</p>}
                <p className="text-xs text-slate-600">
                  <time dateTime={entry.created_at}>{formatDue(entry.created_at, { timeZone: timeZone ?? browserTimeZone() })}</time>
                </p>
              </div>
              {/* The sentence already says it; the badge is for the eye. */}
              {badge && (
                <span aria-hidden className={`shrink-0 rounded px-1.5 py-0.5 text-xs font-medium ${badge.className}`}>
                  {badge.text}
                </span>
              )}
            </li>
          );
        })}
      </ul>
      {history.isFetchNextPageError && <FormError message={errorMessage(history.error)} />}
      {history.hasNextPage && (
        <Button variant="secondary" busy={history.isFetchingNextPage} onClick={() => void history.fetchNextPage()}>
          Load more
        </Button>
      )}
    </div>
  );
}
