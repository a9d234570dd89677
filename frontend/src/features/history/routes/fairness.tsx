import type { ReactNode } from "react";
import { useSearchParams } from "react-router";

import { SelectField } from "@/components/ui/field";
import { Card, Page } from "@/components/ui/page";
import { EmptyState, ErrorState, LoadingState } from "@/components/ui/states";
import { useHousehold } from "@/features/households/api/get-household";
import { useHouseholdId } from "@/lib/use-household-id";

import { useLeaderboard } from "../api/get-leaderboard";
import { LeaderboardTable } from "../components/leaderboard-table";
import { OverTime } from "../components/over-time";
import { parseDays, periodLabel, periods } from "../components/periods";
import { RecentActivity } from "../components/recent-activity";

/** Who did how much: totals for a period, the weeks within it, and the latest history. */
export function FairnessRoute() {
  const householdId = useHouseholdId();
  const household = useHousehold(householdId);
  const [params, setParams] = useSearchParams();
  const days = parseDays(params.get("days"));
  const board = useLeaderboard(householdId, days);
  const period = periodLabel(days);
  const timeZone = household.data?.timezone;

  const nothingDone = board.data?.data.every((entry) => entry.completed === 0 && entry.points === 0 && entry.effort_minutes === 0) ?? false;

  return (
    <Page title="Fairness">
      <div className="max-w-56">
        <SelectField
          label="Period"
          value={days}
          onChange={(event) =>
            setParams(
              (current) => {
                const next = new URLSearchParams(current);
                next.set("days", event.target.value);
                return next;
              },
              { replace: true },
            )
          }
        >
          {periods.map((option) => (
            <option key={option.days} value={option.days}>
              {option.label}
            </option>
          ))}
        </SelectField>
      </div>

      <Section title="Totals" busy={board.isPlaceholderData}>
        {board.isPending ? (
          <LoadingState label="Loading totals" />
        ) : !board.data ? (
          <ErrorState error={board.error} retry={() => void board.refetch()} />
        ) : nothingDone ? (
          <EmptyState title="No chores done in this period yet.">Finished chores and their points show up here.</EmptyState>
        ) : (
          <LeaderboardTable entries={board.data.data} period={period} />
        )}
      </Section>

      {board.data && !nothingDone && (
        <Section title="Over time" busy={board.isPlaceholderData}>
          {household.isPending ? (
            <LoadingState label="Loading history" />
          ) : !timeZone ? (
            <ErrorState error={household.error} retry={() => void household.refetch()} />
          ) : (
            <OverTime householdId={householdId} timeZone={timeZone} leaderboard={board.data} period={period} updatedAt={board.dataUpdatedAt} />
          )}
        </Section>
      )}

      <Section title="Recent activity">
        <RecentActivity householdId={householdId} timeZone={timeZone} />
      </Section>
    </Page>
  );
}

function Section({ title, busy = false, children }: { title: string; busy?: boolean; children: ReactNode }) {
  const id = `fairness-${title.toLowerCase().replaceAll(" ", "-")}`;
  return (
    <section aria-labelledby={id} aria-busy={busy || undefined}>
      <Card className={`space-y-3 transition-opacity ${busy ? "opacity-60" : ""}`}>
        <h2 id={id} className="text-lg font-semibold">
          {title}
        </h2>
        {children}
      </Card>
    </section>
  );
}
