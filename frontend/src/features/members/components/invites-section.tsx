import { type FormEvent, useState } from "react";
import { toast } from "sonner";

import { Button } from "@/components/ui/button";
import { Field, FormError, SelectField } from "@/components/ui/field";
import { Card } from "@/components/ui/page";
import { EmptyState, QueryState } from "@/components/ui/states";
import { useCreateInvite } from "@/features/invites/api/create-invite";
import { useInvites } from "@/features/invites/api/list-invites";
import { useRevokeInvite } from "@/features/invites/api/revoke-invite";
import { type Schemas, errorMessage } from "@/lib/api/client";
import { formatDateTime } from "@/lib/time";

import { type InviteRole, type Role, inviteRoles, roleLabels } from "./roles";

type Invite = Schemas["InvitePublic"];

/** Invite links and codes; only admins and owners see this (list_invites is admin-only). */
export function InvitesSection({ householdId, myRole, timeZone }: { householdId: string; myRole: Role | undefined; timeZone: string }) {
  const invites = useInvites(householdId);
  const revoke = useRevokeInvite(householdId);

  function revokeInvite(invite: Invite) {
    revoke.mutate(invite.id, {
      onSuccess: () => toast.success(`Invite ${invite.code} revoked`),
      onError: (error) => toast.error(errorMessage(error)),
    });
  }

  return (
    <section aria-labelledby="invites-title" className="space-y-3 pt-4">
      <h2 id="invites-title" className="text-lg font-semibold">
        Invites
      </h2>
      <Card>
        <InviteForm householdId={householdId} myRole={myRole} />
      </Card>
      <h3 className="font-medium">Active invites</h3>
      <QueryState query={invites} loading="Loading invites">
        {(list) => {
          const active = list.filter((invite) => invite.status === "active");
          if (active.length === 0) return <EmptyState title="No active invites." />;
          return (
            <Card className="p-0">
              <ul className="divide-y divide-slate-200">
                {active.map((invite) => (
                  <li key={invite.id} className="flex flex-wrap items-center gap-3 px-4 py-3">
                    <div className="min-w-0 flex-1">
                      <p className="font-mono font-semibold tracking-wider text-slate-900">{invite.code}</p>
                      <p className="text-sm text-slate-600">
                        {roleLabels[invite.role]} · {invite.uses_left} {invite.uses_left === 1 ? "use" : "uses"} left · expires {formatDateTime(invite.expires_at, timeZone)}
                      </p>
                    </div>
                    <Button variant="secondary" size="sm" aria-label={`Revoke invite ${invite.code}`} onClick={() => revokeInvite(invite)}>
                      Revoke
                    </Button>
                  </li>
                ))}
              </ul>
            </Card>
          );
        }}
      </QueryState>
    </section>
  );
}

function InviteForm({ householdId, myRole }: { householdId: string; myRole: Role | undefined }) {
  const create = useCreateInvite(householdId);
  const roles = inviteRoles(myRole);
  const [role, setRole] = useState<InviteRole>("member");
  const [created, setCreated] = useState<Invite>();

  function submit(event: FormEvent) {
    event.preventDefault();
    create.mutate({ role }, { onSuccess: setCreated });
  }

  return (
    <div className="space-y-4">
      <form onSubmit={submit} noValidate className="space-y-4">
        <FormError message={create.error ? errorMessage(create.error) : undefined} />
        <SelectField label="Role" value={role} onChange={(event) => setRole(event.target.value as InviteRole)} hint="A link works once and for 7 days.">
          {roles.map((choice) => (
            <option key={choice} value={choice}>
              {roleLabels[choice]}
            </option>
          ))}
        </SelectField>
        <Button type="submit" busy={create.isPending}>
          Create invite link
        </Button>
      </form>
      {created && <NewInvite invite={created} />}
    </div>
  );
}

function NewInvite({ invite }: { invite: Invite }) {
  async function copy(input: HTMLInputElement | null) {
    try {
      if (!navigator.clipboard?.writeText) throw new Error("no clipboard");
      await navigator.clipboard.writeText(invite.link);
      toast.success("Link copied");
    } catch {
      // Without clipboard access (plain http, old browsers) the person copies it themselves.
      input?.focus();
      input?.select();
      toast.info("Press Ctrl+C (or ⌘C) to copy the selected link");
    }
  }

  return (
    <div className="space-y-2 rounded-lg bg-brand-50 p-3 ring-1 ring-brand-100">
      <Field label="Invite link" hint={<>Or share the code <span className="font-mono font-semibold tracking-wider text-slate-900">{invite.code}</span></>}>
        {({ id, describedBy }) => (
          <div className="flex flex-wrap gap-2">
            <input
              id={id}
              aria-describedby={describedBy}
              readOnly
              value={invite.link}
              onFocus={(event) => event.target.select()}
              className="min-w-0 flex-1 rounded-lg border border-slate-300 bg-white px-3 py-2 font-mono text-sm text-slate-900"
            />
            <Button variant="secondary" onClick={() => void copy(document.getElementById(id) as HTMLInputElement | null)}>
              Copy link
            </Button>
          </div>
        )}
      </Field>
    </div>
  );
}
