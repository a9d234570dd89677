import { useId, useState } from "react";
import { toast } from "sonner";

import { Button } from "@/components/ui/button";

import { useClaimOccurrence } from "../api/claim-occurrence";
import { useCompleteOccurrence } from "../api/complete-occurrence";
import { useSkipOccurrence } from "../api/skip-occurrence";
import { useUndoCompletion } from "../api/undo-completion";
import {
  type Occurrence,
  type Viewer,
  canClaim,
  canComplete,
  canManage,
  canReassign,
  completionBody,
} from "./occurrence-view";
import { ReassignDialog } from "./reassign-dialog";
import { RescheduleDialog } from "./reschedule-dialog";

type Props = { occurrence: Occurrence; householdId: string; viewer: Viewer; timeZone: string };

/** Done and Claim at one tap; Skip, Reschedule and Reassign behind "More". */
export function OccurrenceActions({ occurrence, householdId, viewer, timeZone }: Props) {
  const title = occurrence.chore_title;
  const moreId = useId();
  const [more, setMore] = useState(false);
  const [dialog, setDialog] = useState<"reschedule" | "reassign" | null>(null);

  // Success callbacks live on the hooks, not on mutate(): the item leaves the list at once
  // (optimistically), and mutate() callbacks of an unmounted component never run.
  const undo = useUndoCompletion(householdId);
  const complete = useCompleteOccurrence(householdId, {
    onSuccess: (_result, { occurrence: done }) => {
      toast.success(`“${done.chore_title}” done`, {
        duration: 10_000,
        action: { label: "Undo", onClick: () => undo.mutate(done.id) },
      });
    },
  });
  const skip = useSkipOccurrence(householdId, {
    onSuccess: (_result, skipped) => {
      toast.success(`“${skipped.chore_title}” skipped`);
    },
  });
  const claim = useClaimOccurrence(householdId);

  const me = viewer.id && viewer.name ? { id: viewer.id, name: viewer.name } : undefined;
  const manage = canManage(occurrence, viewer);
  const reassign = canReassign(occurrence, viewer);

  return (
    <div className="flex flex-col items-end gap-2">
      <div className="flex flex-wrap justify-end gap-2">
        {canClaim(occurrence) && (
          <Button
            variant="secondary"
            size="sm"
            aria-label={`Claim “${title}”`}
            busy={claim.isPending}
            onClick={() => claim.mutate({ occurrence, me })}
          >
            Claim
          </Button>
        )}
        {canComplete(occurrence, viewer) && (
          <Button
            size="sm"
            aria-label={`Mark “${title}” done`}
            busy={complete.isPending}
            onClick={() =>
              complete.mutate({ occurrence, body: completionBody(occurrence, viewer) })
            }
          >
            Done
          </Button>
        )}
        {manage && (
          <Button
            variant="ghost"
            size="sm"
            aria-label={`More actions for “${title}”`}
            aria-expanded={more}
            aria-controls={moreId}
            onClick={() => setMore((open) => !open)}
          >
            More
            <span aria-hidden className={`text-xs transition-transform ${more ? "rotate-180" : ""}`}>
              ▾
            </span>
          </Button>
        )}
      </div>
      {manage && (
        <div id={moreId} hidden={!more} className="flex flex-wrap justify-end gap-2">
          <Button
            variant="secondary"
            size="sm"
            aria-label={`Skip “${title}”`}
            busy={skip.isPending}
            onClick={() => skip.mutate(occurrence)}
          >
            Skip
          </Button>
          <Button variant="secondary" size="sm" aria-label={`Reschedule “${title}”`} onClick={() => setDialog("reschedule")}>
            Reschedule
          </Button>
          {reassign && (
            <Button variant="secondary" size="sm" aria-label={`Reassign “${title}”`} onClick={() => setDialog("reassign")}>
              Reassign
            </Button>
          )}
        </div>
      )}
      {manage && (
        <RescheduleDialog
          open={dialog === "reschedule"}
          onClose={() => setDialog(null)}
          occurrence={occurrence}
          householdId={householdId}
          timeZone={timeZone}
        />
      )}
      {reassign && (
        <ReassignDialog
          open={dialog === "reassign"}
          onClose={() => setDialog(null)}
          occurrence={occurrence}
          householdId={householdId}
        />
      )}
    </div>
  );
}
