import { useId } from "react";
import { Link } from "react-router";

import { Page } from "@/components/ui/page";
import { EmptyState, ErrorState, LoadingState } from "@/components/ui/states";
import { useHousehold } from "@/features/households/api/get-household";
import { useMe } from "@/features/me/api/get-me";
import { browserTimeZone } from "@/lib/time";
import { useHouseholdId } from "@/lib/use-household-id";

import { useOccurrences } from "../api/list-occurrences";
import { OccurrenceItem } from "../components/occurrence-item";
import { DAYS_AHEAD, type Occurrence, type Viewer, horizon, mineAndPool, openQuery, splitByDay } from "../components/occurrence-view";
import { useNow } from "../components/use-now";

/** What is due or overdue for me today, then the week ahead: the 7 am screen. */
export function MyDayRoute() {
  const householdId = useHouseholdId();
  const household = useHousehold(householdId);
  const me = useMe();
  const now = useNow();
  const timeZone = household.data?.timezone ?? browserTimeZone();
  const dueBefore = horizon(now, timeZone);
  const mine = useOccurrences(householdId, openQuery(dueBefore, true), { keepPrevious: true });
  // The whole household's list (shared with the Board) for the pool items anyone may claim.
  const everyone = useOccurrences(householdId, openQuery(dueBefore), { keepPrevious: true });
  const todayId = useId();
  const comingUpId = useId();

  const viewer: Viewer = { id: me.data?.id, name: me.data?.display_name, role: household.data?.role ?? "member" };

  if (mine.isPending || everyone.isPending) {
    return (
      <Page title="My day">
        <LoadingState label="Loading your day" />
      </Page>
    );
  }
  if (mine.isError || everyone.isError) {
    return (
      <Page title="My day">
        <ErrorState
          error={mine.error ?? everyone.error}
          retry={() => {
            void mine.refetch();
            void everyone.refetch();
          }}
        />
      </Page>
    );
  }

  const { overdue, today, comingUp } = splitByDay(mineAndPool(mine.data, everyone.data, viewer.id), now, timeZone);
  const dueNow = [...overdue, ...today];
  const list = (items: Occurrence[]) => (
    <ul className="space-y-2">
      {items.map((occurrence) => (
        <OccurrenceItem
          key={occurrence.id}
          occurrence={occurrence}
          householdId={householdId}
          viewer={viewer}
          timeZone={timeZone}
          now={now}
          showPoolTag
        />
      ))}
    </ul>
  );

  return (
    <Page title="My day">
      <section aria-labelledby={todayId} className="space-y-2">
        <div className="flex flex-wrap items-baseline gap-x-2">
          <h2 id={todayId} className="text-lg font-semibold text-slate-900">
            Today
          </h2>
          {overdue.length > 0 && <p className="text-sm font-medium text-red-800">{overdue.length} overdue</p>}
        </div>
        {dueNow.length > 0 ? (
          list(dueNow)
        ) : (
          <EmptyState title="Nothing due for you today.">
            Enjoy the free time{comingUp.length > 0 ? ", or get ahead with what is coming up below" : ""}. The{" "}
            <Link to={`/h/${householdId}/board`} className="font-medium text-brand-700 underline">
              Board
            </Link>{" "}
            shows what everyone else has on.
          </EmptyState>
        )}
      </section>
      <section aria-labelledby={comingUpId} className="space-y-2 pt-2">
        <h2 id={comingUpId} className="text-lg font-semibold text-slate-900">
          Coming up
        </h2>
        {comingUp.length > 0 ? (
          list(comingUp)
        ) : (
          <p className="text-sm text-slate-600">Nothing for you in the next {DAYS_AHEAD} days.</p>
        )}
      </section>
    </Page>
  );
}
