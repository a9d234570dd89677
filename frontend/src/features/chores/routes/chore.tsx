import { type ReactNode, useState } from "react";
import { Link, useNavigate, useParams } from "react-router";
import { toast } from "sonner";

import { Button } from "@/components/ui/button";
import { Dialog } from "@/components/ui/dialog";
import { Card, Page } from "@/components/ui/page";
import { EmptyState, ErrorState, QueryState, Spinner } from "@/components/ui/states";
import { useHousehold } from "@/features/households/api/get-household";
import { useCompletions } from "@/features/history/api/list-completions";
import { useOccurrences } from "@/features/occurrences/api/list-occurrences";
import { ApiError, type Schemas, errorMessage } from "@/lib/api/client";
import { formatDateTime, formatDue } from "@/lib/time";
import { useHouseholdId } from "@/lib/use-household-id";

import { useArchiveChore } from "../api/archive-chore";
import { useChore } from "../api/get-chore";
import { useUpdateChore } from "../api/update-chore";
import { Badge } from "../components/badge";
import { MISSED_POLICIES, MODES, STRATEGIES, labelOf } from "../components/chore-values";
import { describeSchedule, lastMomentOfDay } from "../components/recurrence";

type Chore = Schemas["ChorePublic"];

const linkButton =
  "inline-flex min-h-10 items-center justify-center rounded-lg bg-white px-4 py-2.5 text-sm font-medium text-slate-800 ring-1 ring-slate-300 hover:bg-slate-100";

/** One chore: how it repeats, who does it, what is open, and what was done. */
export function ChoreRoute() {
  const householdId = useHouseholdId();
  const { choreId = "" } = useParams();
  const chore = useChore(householdId, choreId);

  if (chore.error instanceof ApiError && (chore.error.status === 404 || chore.error.status === 422)) {
    return (
      <Page title="Chore not found">
        <EmptyState title="This chore does not exist in this household.">
          <Link className="text-brand-700 underline" to={`/h/${householdId}/chores`}>
            Back to chores
          </Link>
        </EmptyState>
      </Page>
    );
  }
  if (!chore.data) {
    return (
      <Page title="Chore">
        <QueryState query={chore} loading="Loading the chore">
          {() => null}
        </QueryState>
      </Page>
    );
  }
  return <ChoreDetail householdId={householdId} chore={chore.data} />;
}

function ChoreDetail({ householdId, chore }: { householdId: string; chore: Chore }) {
  const navigate = useNavigate();
  const household = useHousehold(householdId);
  const timeZone = household.data?.timezone ?? "UTC";
  const canEdit = household.data?.role !== "child" && !chore.archived;
  const archive = useArchiveChore(householdId, chore.id);
  const update = useUpdateChore(householdId, chore.id);
  const [confirming, setConfirming] = useState(false);
  const allDay = chore.schedule.time == null;

  function archiveNow() {
    archive.mutate(undefined, {
      onSuccess: () => {
        setConfirming(false);
        toast.success(`“${chore.title}” archived`);
        navigate(`/h/${householdId}/chores`);
      },
    });
  }

  function togglePaused() {
    const paused = !chore.paused;
    update.mutate(
      { paused },
      {
        onSuccess: () => toast.success(paused ? `“${chore.title}” paused` : `“${chore.title}” resumed`),
        onError: (error) => toast.error(errorMessage(error)),
      },
    );
  }

  return (
    <Page
      title={chore.title}
      actions={
        canEdit && (
          <>
            <Link to={`/h/${householdId}/chores/${chore.id}/edit`} className={linkButton}>
              Edit
            </Link>
            <Button variant="secondary" busy={update.isPending} onClick={togglePaused}>
              {chore.paused ? "Resume" : "Pause"}
            </Button>
            <Button variant="danger" onClick={() => setConfirming(true)}>
              Archive
            </Button>
          </>
        )
      }
    >
      <p>
        <Link to={`/h/${householdId}/chores`} className="text-sm text-brand-700 underline">
          ← All chores
        </Link>
      </p>
      <Card>
        <div className="mb-3 flex flex-wrap items-center gap-2">
          <p className="text-base font-medium text-slate-900">{describeSchedule(chore.schedule)}</p>
          {chore.paused && <Badge tone="amber">Paused</Badge>}
          {chore.archived && <Badge>Archived</Badge>}
        </div>
        <dl className="grid gap-x-6 gap-y-3 text-sm sm:grid-cols-2">
          <Item term="Next due">
            {chore.next_due_at
              ? formatDue(lastMomentOfDay(chore.next_due_at, allDay), { timeZone, allDay })
              : chore.archived
                ? "Archived: no longer scheduled"
                : chore.paused
                  ? "Nothing while paused"
                  : "Not due again"}
          </Item>
          <Item term="Who can do it">
            {chore.eligible.length ? (
              <ol className="list-inside list-decimal">
                {chore.eligible.map((member) => (
                  <li key={member.user_id}>{member.display_name}</li>
                ))}
              </ol>
            ) : (
              "Nobody"
            )}
          </Item>
          <Item term="Mode">{labelOf(MODES, chore.mode)}</Item>
          {chore.mode === "one_of" && <Item term="How the turn is chosen">{labelOf(STRATEGIES, chore.strategy)}</Item>}
          <Item term="If it is missed">{labelOf(MISSED_POLICIES, chore.missed_policy)}</Item>
          <Item term="Effort">{chore.effort_minutes} min</Item>
          <Item term="Points">{chore.points}</Item>
          {chore.room && <Item term="Room">{chore.room}</Item>}
          {chore.labels.length > 0 && <Item term="Labels">{chore.labels.join(", ")}</Item>}
        </dl>
        {chore.notes && (
          <div className="mt-4">
            <h2 className="text-sm font-medium text-slate-600">Notes</h2>
            <p className="whitespace-pre-wrap text-slate-900">{chore.notes}</p>
          </div>
        )}
      </Card>

      {!chore.archived && <OpenOccurrences householdId={householdId} choreId={chore.id} timeZone={timeZone} />}
      <History householdId={householdId} choreId={chore.id} timeZone={timeZone} />

      <Dialog open={confirming} onClose={() => setConfirming(false)} title={`Archive “${chore.title}”?`}>
        <p className="text-slate-700">It will no longer be scheduled, and its open ones are withdrawn. Its history stays.</p>
        {archive.error && (
          <p role="alert" className="text-sm font-medium text-red-700">
            {errorMessage(archive.error)}
          </p>
        )}
        <div className="flex flex-wrap justify-end gap-2">
          <Button variant="secondary" onClick={() => setConfirming(false)}>
            Cancel
          </Button>
          <Button variant="danger" busy={archive.isPending} onClick={archiveNow}>
            Archive chore
          </Button>
        </div>
      </Dialog>
    </Page>
  );
}

function Item({ term, children }: { term: string; children: ReactNode }) {
  return (
    <div>
      <dt className="font-medium text-slate-600">{term}</dt>
      <dd className="text-slate-900">{children}</dd>
    </div>
  );
}

function OpenOccurrences({ householdId, choreId, timeZone }: { householdId: string; choreId: string; timeZone: string }) {
  const occurrences = useOccurrences(householdId, { chore_id: choreId, status: ["open"], limit: 20 });
  // Overdue as of the answer, which the live client refreshes when things change.
  const now = occurrences.dataUpdatedAt;
  return (
    <section aria-labelledby="open-title" className="space-y-2">
      <h2 id="open-title" className="text-lg font-semibold">
        Open and upcoming
      </h2>
      <QueryState query={occurrences} loading="Loading what is open">
        {(list) =>
          list.length === 0 ? (
            <EmptyState title="Nothing open right now." />
          ) : (
            <Card>
              <ul className="divide-y divide-slate-200">
                {list.map((occurrence) => {
                  const overdue = Date.parse(occurrence.due_at) < now;
                  const when = occurrence.all_day ? occurrence.window_start : occurrence.due_at;
                  return (
                    <li key={occurrence.id} className="flex flex-wrap items-center justify-between gap-2 py-2 text-sm">
                      <span className="font-medium text-slate-900">
                        {formatDue(when, { timeZone, allDay: occurrence.all_day })}
                        {overdue && <span className="ml-2 rounded-full bg-red-100 px-2 py-0.5 text-xs font-medium text-red-800">Overdue</span>}
                      </span>
                      <span className="text-slate-700">{occurrence.assignee_name ?? (occurrence.mode === "pool" ? "Anyone can claim it" : "Nobody assigned")}</span>
                    </li>
                  );
                })}
              </ul>
            </Card>
          )
        }
      </QueryState>
    </section>
  );
}

const EVENT_WORDS: Record<Schemas["HistoryPublic"]["event"], string> = {
  done: "Done",
  undone: "Undone",
  skipped: "Skipped",
  missed: "Missed",
};

function History({ householdId, choreId, timeZone }: { householdId: string; choreId: string; timeZone: string }) {
  const history = useCompletions(householdId, { choreId });
  const entries = history.data?.pages.flatMap((page) => page.data) ?? [];
  return (
    <section aria-labelledby="history-title" className="space-y-2">
      <h2 id="history-title" className="text-lg font-semibold">
        History
      </h2>
      {history.isPending ? (
        <Spinner label="Loading the history" />
      ) : history.isError && entries.length === 0 ? (
        <ErrorState error={history.error} retry={() => void history.refetch()} />
      ) : entries.length === 0 ? (
        <EmptyState title="It has not been done yet." />
      ) : (
        <Card>
          <ul className="divide-y divide-slate-200">
            {entries.map((entry) => (
              <li key={entry.id} className="py-2 text-sm">
                <div className="flex flex-wrap justify-between gap-2">
                  <span className="font-medium text-slate-900">
                    {EVENT_WORDS[entry.event]}
                    {entry.credited_name ? ` by ${entry.credited_name}` : ""}
                    {entry.event === "done" ? ` · ${entry.points} pt${entry.points === 1 ? "" : "s"}` : ""}
                  </span>
                  <time dateTime={entry.created_at} className="text-slate-600">
                    {formatDateTime(entry.created_at, timeZone)}
                  </time>
                </div>
                {entry.note && <p className="text-slate-700">“{entry.note}”</p>}
              </li>
            ))}
          </ul>
          {history.isFetchNextPageError && (
            <p role="alert" className="mt-2 text-sm font-medium text-red-700">
              {errorMessage(history.error)}
            </p>
          )}
          {history.hasNextPage && (
            <Button variant="secondary" className="mt-3" busy={history.isFetchingNextPage} onClick={() => void history.fetchNextPage()}>
              Load more
            </Button>
          )}
        </Card>
      )}
    </section>
  );
}
