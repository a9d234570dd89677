import { useNavigate } from "react-router";
import { toast } from "sonner";

import { Card, Page } from "@/components/ui/page";
import { useHouseholdId } from "@/lib/use-household-id";

import { useCreateChore } from "../api/create-chore";
import { ChoreForm } from "../components/chore-form";

export function NewChoreRoute() {
  const householdId = useHouseholdId();
  const navigate = useNavigate();
  const create = useCreateChore(householdId);
  return (
    <Page title="New chore">
      <Card>
        <ChoreForm
          householdId={householdId}
          submitLabel="Create chore"
          busy={create.isPending}
          error={create.error}
          cancelTo={`/h/${householdId}/chores`}
          onSubmit={(body) =>
            create.mutate(body, {
              onSuccess: (chore) => {
                toast.success(`“${chore.title}” created`);
                navigate(`/h/${householdId}/chores/${chore.id}`);
              },
            })
          }
        />
      </Card>
    </Page>
  );
}
