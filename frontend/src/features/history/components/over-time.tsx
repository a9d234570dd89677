import { Suspense, lazy, useEffect } from "react";

import { ErrorState, LoadingState } from "@/components/ui/states";
import type { Schemas } from "@/lib/api/client";

import { useCompletions } from "../api/list-completions";
import { weeklyTotals } from "./weekly-totals";

// recharts is most of the weight of the app: it loads only when a chart is shown.
const WeeklyChart = lazy(() => import("./weekly-chart").then((module) => ({ default: module.WeeklyChart })));

const PAGE_SIZE = 100;
// A bound on what one visit downloads; a year of a busy household can go past it.
const MAX_PAGES = 10;

/** Weekly points and effort per member, from the history pages that reach back over the period. */
export function OverTime({
  householdId,
  timeZone,
  leaderboard,
  period,
  updatedAt,
}: {
  householdId: string;
  timeZone: string;
  leaderboard: Schemas["Leaderboard"];
  period: string;
  updatedAt: number;
}) {
  const history = useCompletions(householdId, { limit: PAGE_SIZE });
  const sinceMs = Date.parse(leaderboard.since);
  const pages = history.data?.pages ?? [];
  const oldest = pages.at(-1)?.data.at(-1)?.created_at;
  const reachesBack = oldest !== undefined && Date.parse(oldest) <= sinceMs;
  const wantMore = Boolean(history.hasNextPage) && !reachesBack;
  const canFetch = wantMore && pages.length < MAX_PAGES && !history.isFetchNextPageError;
  const { fetchNextPage, isFetching } = history;

  useEffect(() => {
    if (canFetch && !isFetching) void fetchNextPage();
  }, [canFetch, isFetching, fetchNextPage]);

  if (history.isPending) return <LoadingState label="Loading history" />;
  if (!history.data) return <ErrorState error={history.error} retry={() => void history.refetch()} />;
  if (history.isFetchNextPageError && wantMore) return <ErrorState error={history.error} retry={() => void history.fetchNextPage()} />;
  if (canFetch) return <LoadingState label="Loading history" />;

  // Out of pages before the start of the period: chart only the weeks that were loaded in full.
  const truncated = wantMore && oldest !== undefined;
  const since = truncated ? new Date(Date.parse(oldest) - 1) : new Date(sinceMs);
  const entries = pages.flatMap((page) => page.data);
  const newest = entries[0] ? Date.parse(entries[0].created_at) : 0;
  const until = new Date(Math.max(updatedAt, history.dataUpdatedAt, newest));
  const members = leaderboard.data.map((entry) => ({ id: entry.user_id, name: entry.display_name }));
  const { members: series, weeks } = weeklyTotals(entries, { timeZone, since, until, members });

  return (
    <div className="space-y-2">
      {truncated && (
        <p className="text-sm text-slate-600">
          The chart starts on {new Intl.DateTimeFormat(undefined, { timeZone, dateStyle: "medium" }).format(since)}: only the latest{" "}
          {(PAGE_SIZE * MAX_PAGES).toLocaleString()} history entries are charted.
        </p>
      )}
      <Suspense fallback={<LoadingState label="Loading the chart" />}>
        <WeeklyChart members={series} weeks={weeks} period={period} />
      </Suspense>
    </div>
  );
}
