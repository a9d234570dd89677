import { type FormEvent, useState } from "react";
import { toast } from "sonner";

import { Button } from "@/components/ui/button";
import { FormError, SelectField, TextField } from "@/components/ui/field";
import { Card } from "@/components/ui/page";
import { EmptyState, QueryState } from "@/components/ui/states";
import { ApiError, type Schemas, errorMessage } from "@/lib/api/client";

import { useCancelAway } from "../api/cancel-away";
import { useAway } from "../api/list-away";
import { useMembers } from "../api/list-members";
import { useSetAway } from "../api/set-away";
import { type Role, isAdmin } from "./roles";

type Away = Schemas["AwayPublic"];

/** Today's date (YYYY-MM-DD) in the household's zone: away dates are the household's local days. */
function todayIn(timeZone: string): string {
  return new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" }).format(new Date());
}

const dayFormat = new Intl.DateTimeFormat(undefined, { timeZone: "UTC", day: "numeric", month: "short", year: "numeric" });
const asDay = (date: string) => new Date(`${date}T00:00:00Z`);

export function formatDays(from: string, to: string): string {
  return from === to ? dayFormat.format(asDay(from)) : dayFormat.formatRange(asDay(from), asDay(to));
}

export function AwaySection({ householdId, timeZone, myRole, myId }: { householdId: string; timeZone: string; myRole: Role | undefined; myId: string | undefined }) {
  const away = useAway(householdId);
  const cancel = useCancelAway(householdId);
  const today = todayIn(timeZone);

  function cancelPeriod(period: Away) {
    cancel.mutate(period.id, {
      onSuccess: () => toast.success("Away dates cancelled"),
      onError: (error) => toast.error(errorMessage(error)),
    });
  }

  return (
    <section aria-labelledby="away-title" className="space-y-3 pt-4">
      <h2 id="away-title" className="text-lg font-semibold">
        Away
      </h2>
      <p className="text-sm text-slate-600">While someone is away, the rotation passes over them without counting it against them.</p>
      <Card>
        <AwayForm householdId={householdId} today={today} myRole={myRole} myId={myId} />
      </Card>
      <QueryState query={away} loading="Loading away dates">
        {(periods) => {
          const upcoming = periods.filter((period) => period.ends_on >= today);
          if (upcoming.length === 0) return <EmptyState title="Nobody is away.">Dates you add show up here.</EmptyState>;
          return (
            <Card className="p-0">
              <ul className="divide-y divide-slate-200">
                {upcoming.map((period) => {
                  const mine = period.user_id === myId;
                  const range = formatDays(period.starts_on, period.ends_on);
                  return (
                    <li key={period.id} className="flex flex-wrap items-center gap-3 px-4 py-3">
                      <div className="min-w-0 flex-1">
                        <p className="font-medium text-slate-900">
                          {mine ? "You" : period.display_name}
                          {period.starts_on <= today && <span className="ml-2 rounded-full bg-amber-100 px-2 py-0.5 text-xs font-semibold text-amber-900">Away now</span>}
                        </p>
                        <p className="text-sm text-slate-600">{range}</p>
                      </div>
                      {(mine || isAdmin(myRole)) && (
                        <Button variant="secondary" size="sm" aria-label={`Cancel away ${period.display_name}, ${range}`} onClick={() => cancelPeriod(period)}>
                          Cancel
                        </Button>
                      )}
                    </li>
                  );
                })}
              </ul>
            </Card>
          );
        }}
      </QueryState>
    </section>
  );
}

function AwayForm({ householdId, today, myRole, myId }: { householdId: string; today: string; myRole: Role | undefined; myId: string | undefined }) {
  const set = useSetAway(householdId);
  const admin = isAdmin(myRole);
  const members = useMembers(householdId);
  const [from, setFrom] = useState("");
  const [to, setTo] = useState("");
  const [who, setWho] = useState("");
  const [errors, setErrors] = useState<{ from?: string; to?: string }>({});

  function submit(event: FormEvent) {
    event.preventDefault();
    const found: { from?: string; to?: string } = {};
    if (!from) found.from = "Choose the first day you are away.";
    if (!to) found.to = "Choose the last day you are away.";
    else if (from && to < from) found.to = "The last day cannot be before the first.";
    setErrors(found);
    if (found.from || found.to) return;
    set.mutate(
      { starts_on: from, ends_on: to, ...(who && who !== myId ? { user_id: who } : {}) },
      {
        onSuccess: () => {
          toast.success("Away dates saved; their chores go to others on those days");
          setFrom("");
          setTo("");
        },
      },
    );
  }

  const fields = set.error instanceof ApiError ? set.error.fieldErrors() : {};
  const unplaced = set.error && !fields.starts_on && !fields.ends_on && !fields.user_id ? errorMessage(set.error) : undefined;
  const others = admin ? (members.data ?? []).filter((member) => member.user_id !== myId) : [];

  return (
    <form onSubmit={submit} noValidate className="space-y-4">
      <h3 className="font-medium">Add away dates</h3>
      <FormError message={unplaced} />
      {others.length > 0 && (
        <SelectField label="Who" value={who} onChange={(event) => setWho(event.target.value)} error={fields.user_id}>
          <option value="">You</option>
          {others.map((member) => (
            <option key={member.user_id} value={member.user_id}>
              {member.display_name}
            </option>
          ))}
        </SelectField>
      )}
      <div className="grid gap-4 sm:grid-cols-2">
        <TextField label="From" type="date" value={from} min={today} onChange={(event) => setFrom(event.target.value)} error={errors.from ?? fields.starts_on} required />
        <TextField label="To" type="date" value={to} min={from || today} onChange={(event) => setTo(event.target.value)} error={errors.to ?? fields.ends_on} required />
      </div>
      <Button type="submit" busy={set.isPending}>
        Set away
      </Button>
    </form>
  );
}
