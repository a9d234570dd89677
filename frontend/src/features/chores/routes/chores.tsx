import { Link } from "react-router";

import { Card, Page } from "@/components/ui/page";
import { EmptyState, QueryState } from "@/components/ui/states";
import { useHousehold } from "@/features/households/api/get-household";
import type { Schemas } from "@/lib/api/client";
import { formatDue } from "@/lib/time";
import { useHouseholdId } from "@/lib/use-household-id";

import { useChores } from "../api/list-chores";
import { Badge } from "../components/badge";
import { MODES, labelOf } from "../components/chore-values";
import { describeSchedule, lastMomentOfDay } from "../components/recurrence";

type Chore = Schemas["ChorePublic"];

const newChoreLink = "inline-flex min-h-10 items-center justify-center rounded-lg bg-brand-700 px-4 py-2.5 text-sm font-medium text-white hover:bg-brand-800";

/** Every chore of the household: what, when, who; paused and archived ones marked. */
export function ChoresRoute() {
  const householdId = useHouseholdId();
  const household = useHousehold(householdId);
  const chores = useChores(householdId, { includeArchived: true });
  const canEdit = household.data?.role !== "child";
  const timeZone = household.data?.timezone ?? "UTC";

  return (
    <Page
      title="Chores"
      actions={
        canEdit && (
          <Link to={`/h/${householdId}/chores/new`} className={newChoreLink}>
            New chore
          </Link>
        )
      }
    >
      <QueryState query={chores} loading="Loading chores">
        {(list) => {
          const byTitle = [...list].sort((a, b) => a.title.localeCompare(b.title));
          const active = byTitle.filter((chore) => !chore.archived);
          const archived = byTitle.filter((chore) => chore.archived);
          if (list.length === 0) {
            return (
              <EmptyState title="No chores yet.">
                {canEdit ? "Add the first one with “New chore”: the bins, the dishes, the plants…" : "The grown-ups of the household add chores here."}
              </EmptyState>
            );
          }
          return (
            <>
              {active.length === 0 ? (
                <EmptyState title="Every chore is archived.">{canEdit ? "Add a new one with “New chore”." : null}</EmptyState>
              ) : (
                <ChoreList householdId={householdId} chores={active} timeZone={timeZone} label="Chores" />
              )}
              {archived.length > 0 && (
                <details className="rounded-xl bg-white p-4 shadow-sm ring-1 ring-slate-200">
                  <summary className="cursor-pointer font-medium text-slate-800">Archived ({archived.length})</summary>
                  <div className="mt-3">
                    <ChoreList householdId={householdId} chores={archived} timeZone={timeZone} label="Archived chores" />
                  </div>
                </details>
              )}
            </>
          );
        }}
      </QueryState>
    </Page>
  );
}

function ChoreList({ householdId, chores, timeZone, label }: { householdId: string; chores: Chore[]; timeZone: string; label: string }) {
  return (
    <ul aria-label={label} className="space-y-3">
      {chores.map((chore) => (
        <li key={chore.id}>
          <Card className={chore.archived ? "bg-slate-50" : ""}>
            <div className="flex flex-wrap items-start justify-between gap-2">
              <h2 className="text-lg font-semibold">
                <Link to={`/h/${householdId}/chores/${chore.id}`} className="text-brand-800 underline-offset-2 hover:underline">
                  {chore.title}
                </Link>
              </h2>
              <div className="flex gap-1.5">
                {chore.paused && <Badge tone="amber">Paused</Badge>}
                {chore.archived && <Badge>Archived</Badge>}
              </div>
            </div>
            <p className="text-sm text-slate-700">{describeSchedule(chore.schedule)}</p>
            <p className="text-sm text-slate-700">
              {labelOf(MODES, chore.mode)}: {chore.eligible.map((member) => member.display_name).join(", ") || "nobody"}
              {chore.room ? ` · ${chore.room}` : ""}
            </p>
            {!chore.archived && (
              <p className="text-sm text-slate-600">
                {chore.next_due_at
                  ? `Next due ${formatDue(lastMomentOfDay(chore.next_due_at, chore.schedule.time == null), { timeZone, allDay: chore.schedule.time == null })}`
                  : chore.paused
                    ? "Nothing due while paused"
                    : "Nothing due any more"}
              </p>
            )}
          </Card>
        </li>
      ))}
    </ul>
  );
}
