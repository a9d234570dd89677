import { useState } from "react";
import { Link, useNavigate, useParams } from "react-router";
import { toast } from "sonner";

import { Card, Page } from "@/components/ui/page";
import { EmptyState, QueryState } from "@/components/ui/states";
import { ApiError, type Schemas } from "@/lib/api/client";
import { useHouseholdId } from "@/lib/use-household-id";

import { useChore } from "../api/get-chore";
import { useUpdateChore } from "../api/update-chore";
import { ChoreForm } from "../components/chore-form";
import { choreChanges, choreDifferences } from "../components/chore-values";

export function EditChoreRoute() {
  const householdId = useHouseholdId();
  const { choreId = "" } = useParams();
  const chore = useChore(householdId, choreId);
  const detail = `/h/${householdId}/chores/${choreId}`;

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

  return (
    <Page title="Edit chore">
      <QueryState query={chore} loading="Loading the chore">
        {(loaded) =>
          loaded.archived ? (
            <EmptyState title="This chore is archived and can no longer be changed.">
              <Link className="text-brand-700 underline" to={detail}>
                Back to the chore
              </Link>
            </EmptyState>
          ) : (
            // A fresh form (and snapshot) if another chore is opened in the same place.
            <EditChoreForm key={loaded.id} householdId={householdId} current={loaded} detail={detail} />
          )
        }
      </QueryState>
    </Page>
  );
}

function EditChoreForm({ householdId, current, detail }: { householdId: string; current: Schemas["ChorePublic"]; detail: string }) {
  const navigate = useNavigate();
  const update = useUpdateChore(householdId, current.id);
  // The chore as it was when the form opened. The live client keeps refreshing `current`; comparing
  // the form with that would send, and so undo, every field someone else changed meanwhile.
  const [original] = useState(current);
  const changedElsewhere = update.isSuccess ? [] : choreDifferences(original, current);

  return (
    <div className="space-y-4">
      {changedElsewhere.length > 0 && (
        <p role="status" className="rounded-lg bg-amber-50 px-4 py-3 text-sm text-amber-900 ring-1 ring-amber-200">
          Someone else changed this chore while you were editing: {listInWords(changedElsewhere)}. Saving keeps their
          changes, except in fields you changed yourself.
        </p>
      )}
      <Card>
        <ChoreForm
          householdId={householdId}
          chore={original}
          submitLabel="Save changes"
          busy={update.isPending}
          error={update.error}
          cancelTo={detail}
          onSubmit={(body) => {
            const changes = choreChanges(original, body);
            if (Object.keys(changes).length === 0) {
              navigate(detail);
              return;
            }
            update.mutate(changes, {
              onSuccess: (saved) => {
                toast.success(`“${saved.title}” saved`);
                navigate(detail);
              },
            });
          }}
        />
      </Card>
    </div>
  );
}

function listInWords(items: string[]): string {
  if (items.length <= 1) return items.join("");
  return `${items.slice(0, -1).join(", ")} and ${items[items.length - 1]}`;
}
