import { useState } from "react";
import { toast } from "sonner";

import { Button } from "@/components/ui/button";
import { Dialog } from "@/components/ui/dialog";
import { FormError } from "@/components/ui/field";
import { Card } from "@/components/ui/page";
import { EmptyState, QueryState } from "@/components/ui/states";
import { type Schemas, errorMessage } from "@/lib/api/client";

import { useMembers } from "../api/list-members";
import { useRemoveMember } from "../api/remove-member";
import { useUpdateMember } from "../api/update-member";
import { type Role, canRemove, roleChoices, roleLabels } from "./roles";

type Member = Schemas["MemberPublic"];

export function MemberList({ householdId, myRole, myId }: { householdId: string; myRole: Role | undefined; myId: string | undefined }) {
  const members = useMembers(householdId);
  const update = useUpdateMember(householdId);
  const remove = useRemoveMember(householdId);
  const [removing, setRemoving] = useState<Member>();

  function changeRole(member: Member, role: Role) {
    update.mutate(
      { userId: member.user_id, role },
      {
        onSuccess: () => toast.success(`${member.display_name} is now ${roleLabels[role].toLowerCase()}`),
        onError: (error) => toast.error(errorMessage(error)),
      },
    );
  }

  function confirmRemove() {
    if (!removing) return;
    const member = removing;
    remove.mutate(member.user_id, {
      onSuccess: () => {
        setRemoving(undefined);
        toast.success(`${member.display_name} was removed`);
      },
    });
  }

  return (
    <>
      <QueryState query={members} loading="Loading members">
      {(list) =>
        list.length === 0 ? (
          <EmptyState title="No members yet." />
        ) : (
          <Card className="p-0">
            <ul className="divide-y divide-slate-200">
              {list.map((member) => {
                const isSelf = member.user_id === myId;
                const choices = roleChoices(myRole, member.role, isSelf);
                return (
                  <li key={member.user_id} className="flex flex-wrap items-center gap-3 px-4 py-3">
                    <div className="min-w-0 flex-1">
                      <p className="flex flex-wrap items-center gap-2 font-medium text-slate-900">
                        <span className="break-words">{member.display_name}</span>
                        {isSelf && <span className="rounded-full bg-brand-100 px-2 py-0.5 text-xs font-semibold text-brand-800">You</span>}
                      </p>
                      {member.email && <p className="truncate text-sm text-slate-600">{member.email}</p>}
                    </div>
                    {choices.length > 1 ? (
                      <select
                        aria-label={`Role of ${member.display_name}`}
                        value={member.role}
                        onChange={(event) => changeRole(member, event.target.value as Role)}
                        className="rounded-lg border border-slate-300 bg-white px-2 py-1.5 text-sm"
                      >
                        {choices.map((role) => (
                          <option key={role} value={role}>
                            {roleLabels[role]}
                          </option>
                        ))}
                      </select>
                    ) : (
                      <span className="text-sm text-slate-700">{roleLabels[member.role]}</span>
                    )}
                    {canRemove(myRole, member.role, isSelf) && (
                      <Button
                        variant="secondary"
                        size="sm"
                        aria-label={`Remove ${member.display_name}`}
                        onClick={() => {
                          remove.reset();
                          setRemoving(member);
                        }}
                      >
                        Remove
                      </Button>
                    )}
                  </li>
                );
              })}
            </ul>
          </Card>
        )
      }
      </QueryState>
      <RemoveDialog
        member={removing}
        busy={remove.isPending}
        error={remove.error}
        onConfirm={confirmRemove}
        onClose={() => setRemoving(undefined)}
      />
    </>
  );
}

function RemoveDialog({ member, busy, error, onConfirm, onClose }: { member: Member | undefined; busy: boolean; error: unknown; onConfirm: () => void; onClose: () => void }) {
  return (
    <Dialog open={Boolean(member)} onClose={onClose} title={member ? `Remove ${member.display_name}?` : "Remove member"}>
      <p className="text-slate-700">
        They lose access to this household straight away. Chores that were theirs go back into the rotation. You can invite them again later.
      </p>
      <FormError message={error ? errorMessage(error) : undefined} />
      <div className="flex flex-wrap justify-end gap-2">
        <Button variant="secondary" onClick={onClose}>
          Cancel
        </Button>
        <Button variant="danger" busy={busy} onClick={onConfirm}>
          Remove from household
        </Button>
      </div>
    </Dialog>
  );
}
