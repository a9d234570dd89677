import { EmailAuthProvider, GoogleAuthProvider, reauthenticateWithCredential, reauthenticateWithPopup } from "firebase/auth";
import { type FormEvent, useState } from "react";
import { Link, useNavigate } from "react-router";
import { toast } from "sonner";

import { TimeZoneSelect } from "@/components/timezone-select";
import { Button } from "@/components/ui/button";
import { Dialog } from "@/components/ui/dialog";
import { FormError, TextField } from "@/components/ui/field";
import { Card, Page } from "@/components/ui/page";
import { QueryState } from "@/components/ui/states";
import { authErrorMessage } from "@/features/auth/auth-provider";
import { useDeleteHousehold } from "@/features/households/api/delete-household";
import { useHousehold } from "@/features/households/api/get-household";
import { useLeaveHousehold } from "@/features/households/api/leave-household";
import { useUpdateHousehold } from "@/features/households/api/update-household";
import { ApiError, type Schemas, errorMessage } from "@/lib/api/client";
import { firebaseAuth } from "@/lib/firebase";
import type { TimeZone } from "@/lib/time";
import { useHouseholdId } from "@/lib/use-household-id";

import { isAdmin } from "../components/roles";

type Household = Schemas["HouseholdPublic"];

export function HouseholdSettingsRoute() {
  const householdId = useHouseholdId();
  const household = useHousehold(householdId);
  return (
    <Page
      title="Household settings"
      actions={
        <Link to={`/h/${householdId}/members`} className="rounded-lg px-3 py-2 text-sm font-medium text-brand-700 underline hover:bg-slate-100">
          Members
        </Link>
      }
    >
      <QueryState query={household} loading="Loading household">
        {(data) => (
          <>
            {isAdmin(data.role) ? <DetailsForm household={data} /> : <Details household={data} />}
            <LeaveCard household={data} />
            {data.role === "owner" && <DeleteCard household={data} />}
          </>
        )}
      </QueryState>
    </Page>
  );
}

function Details({ household }: { household: Household }) {
  return (
    <Card>
      <h2 className="mb-3 text-lg font-semibold">Household</h2>
      <dl className="grid grid-cols-[auto_1fr] gap-x-4 gap-y-1 text-sm">
        <dt className="text-slate-600">Name</dt>
        <dd className="text-slate-900">{household.name}</dd>
        <dt className="text-slate-600">Time zone</dt>
        <dd className="text-slate-900">{household.timezone.replaceAll("_", " ")}</dd>
      </dl>
      <p className="mt-3 text-sm text-slate-600">Only admins and owners can change these.</p>
    </Card>
  );
}

function DetailsForm({ household }: { household: Household }) {
  const update = useUpdateHousehold(household.id);
  const [name, setName] = useState(household.name);
  const [timezone, setTimezone] = useState<string>(household.timezone);
  const [nameError, setNameError] = useState<string>();

  function submit(event: FormEvent) {
    event.preventDefault();
    if (!name.trim()) {
      setNameError("The household needs a name.");
      return;
    }
    setNameError(undefined);
    update.mutate(
      { name: name.trim(), timezone: timezone as TimeZone },
      { onSuccess: () => toast.success("Household settings saved") },
    );
  }

  const fields = update.error instanceof ApiError ? update.error.fieldErrors() : {};
  const unplaced = update.error && !fields.name && !fields.timezone ? errorMessage(update.error) : undefined;
  return (
    <Card>
      <h2 className="mb-3 text-lg font-semibold">Household</h2>
      <form onSubmit={submit} noValidate className="space-y-4">
        <FormError message={unplaced} />
        <TextField label="Household name" value={name} maxLength={80} onChange={(event) => setName(event.target.value)} error={nameError ?? fields.name} />
        <TimeZoneSelect value={timezone} onChange={setTimezone} error={fields.timezone} />
        <p className="text-sm text-slate-600">Due times and away dates follow the household's time zone.</p>
        <Button type="submit" busy={update.isPending}>
          Save changes
        </Button>
      </form>
    </Card>
  );
}

function LeaveCard({ household }: { household: Household }) {
  const leave = useLeaveHousehold(household.id);
  const navigate = useNavigate();
  const [open, setOpen] = useState(false);

  function confirm() {
    leave.mutate(undefined, {
      onSuccess: () => {
        toast.success(`You left ${household.name}`);
        navigate("/", { replace: true });
      },
    });
  }

  return (
    <Card>
      <h2 className="mb-2 text-lg font-semibold">Leave household</h2>
      <p className="mb-3 text-sm text-slate-700">Your chores go back into the rotation. You need a new invite to come back.</p>
      <FormError message={!open && leave.error ? errorMessage(leave.error) : undefined} />
      <Button
        variant="secondary"
        className="mt-2"
        onClick={() => {
          leave.reset();
          setOpen(true);
        }}
      >
        Leave household
      </Button>
      <Dialog open={open} onClose={() => setOpen(false)} title={`Leave ${household.name}?`}>
        <p className="text-slate-700">You will no longer see its chores or get its reminders.</p>
        <FormError message={leave.error ? errorMessage(leave.error) : undefined} />
        <div className="flex flex-wrap justify-end gap-2">
          <Button variant="secondary" onClick={() => setOpen(false)}>
            Cancel
          </Button>
          <Button variant="danger" busy={leave.isPending} onClick={confirm}>
            Yes, leave
          </Button>
        </div>
      </Dialog>
    </Card>
  );
}

function DeleteCard({ household }: { household: Household }) {
  const remove = useDeleteHousehold(household.id);
  const navigate = useNavigate();
  const [open, setOpen] = useState(false);
  const [typed, setTyped] = useState("");
  const [password, setPassword] = useState("");
  const [reauthError, setReauthError] = useState<string>();
  const matches = typed.trim() === household.name.trim();
  // The server wants a sign-in from the last few minutes before it deletes a household.
  const needsSignIn = remove.error instanceof ApiError && remove.error.code === "recent-sign-in-required";
  const user = firebaseAuth().currentUser;
  const byPassword = Boolean(user?.email && user.providerData.some((p) => p.providerId === "password"));

  async function confirm(event: FormEvent) {
    event.preventDefault();
    if (!matches) return;
    if (needsSignIn && user) {
      setReauthError(undefined);
      try {
        if (byPassword) await reauthenticateWithCredential(user, EmailAuthProvider.credential(user.email!, password));
        else await reauthenticateWithPopup(user, new GoogleAuthProvider());
        await user.getIdToken(true);
      } catch (failure) {
        setReauthError(authErrorMessage(failure));
        return;
      }
    }
    remove.mutate(undefined, {
      onSuccess: () => {
        toast.success(`${household.name} was deleted`);
        navigate("/", { replace: true });
      },
    });
  }

  return (
    <Card className="ring-red-200">
      <h2 className="mb-2 text-lg font-semibold text-red-800">Delete household</h2>
      <p className="mb-3 text-sm text-slate-700">Deletes the household for everyone, with all its chores and history. This cannot be undone.</p>
      <Button
        variant="danger"
        onClick={() => {
          remove.reset();
          setTyped("");
          setPassword("");
          setReauthError(undefined);
          setOpen(true);
        }}
      >
        Delete household
      </Button>
      <Dialog open={open} onClose={() => setOpen(false)} title={`Delete ${household.name}?`}>
        <form onSubmit={confirm} noValidate className="space-y-4">
          <p className="text-slate-700">Everyone loses its chores, history and invites at once. This cannot be undone.</p>
          <FormError message={reauthError ?? (remove.error ? errorMessage(remove.error) : undefined)} />
          <TextField
            label="Type the household name to confirm"
            hint={
              <>
                Type <strong className="text-slate-900">{household.name}</strong>
              </>
            }
            value={typed}
            onChange={(event) => setTyped(event.target.value)}
            autoComplete="off"
          />
          {needsSignIn && byPassword && (
            <TextField
              label="Your password"
              type="password"
              autoComplete="current-password"
              value={password}
              onChange={(event) => setPassword(event.target.value)}
              hint="To be sure it is you, sign in again."
            />
          )}
          <div className="flex flex-wrap justify-end gap-2">
            <Button variant="secondary" onClick={() => setOpen(false)}>
              Cancel
            </Button>
            <Button type="submit" variant="danger" busy={remove.isPending} disabled={!matches}>
              Delete forever
            </Button>
          </div>
        </form>
      </Dialog>
    </Card>
  );
}
