import { useId } from "react";
import { Link } from "react-router";

import { Page } from "@/components/ui/page";
import { EmptyState, QueryState } from "@/components/ui/states";
import { useHousehold } from "@/features/households/api/get-household";
import { useMe } from "@/features/me/api/get-me";
import { browserTimeZone } from "@/lib/time";
import { useHouseholdId } from "@/lib/use-household-id";

import { useOccurrences } from "../api/list-occurrences";
import { OccurrenceItem } from "../components/occurrence-item";
import {
  DAYS_AHEAD,
  type PersonGroup,
  type Viewer,
  groupByPerson,
  horizon,
  isOverdue,
  openQuery,
  splitByDay,
} from "../components/occurrence-view";
import { useNow } from "../components/use-now";

/** Everything open in the household, overdue or due within the week, by person. */
export function BoardRoute() {
  const householdId = useHouseholdId();
  const household = useHousehold(householdId);
  const me = useMe();
  const now = useNow();
  const timeZone = household.data?.timezone ?? browserTimeZone();
  const occurrences = useOccurrences(householdId, openQuery(horizon(now, timeZone)), { keepPrevious: true });
  const viewer: Viewer = { id: me.data?.id, name: me.data?.display_name, role: household.data?.role ?? "member" };

  return (
    <Page title="Board">
      <p className="text-slate-700">Open chores for today and the next {DAYS_AHEAD} days, by person.</p>
      <QueryState query={occurrences} loading="Loading the board">
        {(data) => {
          const { overdue, today, comingUp } = splitByDay(data, now, timeZone);
          const groups = groupByPerson([...overdue, ...today, ...comingUp], viewer.id);
          if (groups.length === 0) {
            return (
              <EmptyState title={`Nothing open in the next ${DAYS_AHEAD} days.`}>
                All caught up. New chores can be added under{" "}
                <Link to={`/h/${householdId}/chores`} className="font-medium text-brand-700 underline">
                  Chores
                </Link>
                .
              </EmptyState>
            );
          }
          return (
            <div className="space-y-6">
              {groups.map((group) => (
                <PersonSection
                  key={group.key}
                  group={group}
                  householdId={householdId}
                  viewer={viewer}
                  timeZone={timeZone}
                  now={now}
                />
              ))}
            </div>
          );
        }}
      </QueryState>
    </Page>
  );
}

function PersonSection({
  group,
  householdId,
  viewer,
  timeZone,
  now,
}: {
  group: PersonGroup;
  householdId: string;
  viewer: Viewer;
  timeZone: string;
  now: Date;
}) {
  const headingId = useId();
  const overdue = group.items.filter((occurrence) => isOverdue(occurrence, now)).length;
  return (
    <section aria-labelledby={headingId} className="space-y-2">
      <div className="flex flex-wrap items-baseline gap-x-2">
        <h2 id={headingId} className="text-lg font-semibold text-slate-900">
          {group.name}
        </h2>
        <p className="text-sm text-slate-600">
          {group.items.length} open
          {overdue > 0 && <span className="font-medium text-red-800">, {overdue} overdue</span>}
        </p>
      </div>
      <ul className="space-y-2">
        {group.items.map((occurrence) => (
          <OccurrenceItem
            key={occurrence.id}
            occurrence={occurrence}
            householdId={householdId}
            viewer={viewer}
            timeZone={timeZone}
            now={now}
          />
        ))}
      </ul>
    </section>
  );
}
