import { Link, useNavigate, useParams } from "react-router";
import { toast } from "sonner";

import { Card, Page } from "@/components/ui/page";
import { EmptyState, QueryState } from "@/components/ui/states";
import { ApiError } from "@/lib/api/client";
import { useHouseholdId } from "@/lib/use-household-id";

import { useChore } from "../api/get-chore";
import { useUpdateChore } from "../api/update-chore";
import { ChoreForm } from "../components/chore-form";
import { choreChanges } from "../components/chore-values";

export function EditChoreRoute() {
  const householdId = useHouseholdId();
  const { choreId = "" } = useParams();
  const navigate = useNavigate();
  const chore = useChore(householdId, choreId);
  const update = useUpdateChore(householdId, choreId);
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
            <Card>
              <ChoreForm
                // A fresh form if another chore is opened in the same place.
                key={loaded.id}
                householdId={householdId}
                chore={loaded}
                submitLabel="Save changes"
                busy={update.isPending}
                error={update.error}
                cancelTo={detail}
                onSubmit={(body) => {
                  const changes = choreChanges(loaded, body);
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
          )
        }
      </QueryState>
    </Page>
  );
}
