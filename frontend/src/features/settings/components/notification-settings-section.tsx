import { type FormEvent, useId, useState } from "react";
import { toast } from "sonner";

import { Button } from "@/components/ui/button";
import { FormError, TextField } from "@/components/ui/field";
import { QueryState } from "@/components/ui/states";
import { useMe } from "@/features/me/api/get-me";
import { ApiError, type Schemas } from "@/lib/api/client";

import { useNotificationSettings } from "../api/get-notification-settings";
import { useUpdateNotificationSettings } from "../api/update-notification-settings";
import { type NotificationKind, notificationKinds } from "./notification-kinds";
import { SettingsSection } from "./settings-section";

export function NotificationSettingsSection() {
  const settings = useNotificationSettings();
  return (
    <SettingsSection title="Notifications" description="Choose when reminders may reach you and which kinds you never want to see.">
      <QueryState query={settings} loading="Loading your notification settings">
        {(data) => <NotificationSettingsForm settings={data} />}
      </QueryState>
    </SettingsSection>
  );
}

const DEFAULT_QUIET = { start: "22:00", end: "07:00" };

function NotificationSettingsForm({ settings }: { settings: Schemas["NotificationSettingsPublic"] }) {
  const update = useUpdateNotificationSettings();
  // The profile's zone is the one quiet hours follow; it may have just been changed above.
  const zone = useMe().data?.timezone ?? settings.timezone;
  const [quietOn, setQuietOn] = useState(settings.quiet_hours !== null);
  const [start, setStart] = useState(settings.quiet_hours?.start ?? DEFAULT_QUIET.start);
  const [end, setEnd] = useState(settings.quiet_hours?.end ?? DEFAULT_QUIET.end);
  const [muted, setMuted] = useState<Set<NotificationKind>>(() => new Set(settings.muted_kinds));
  const [localErrors, setLocalErrors] = useState<{ start?: string; end?: string }>({});
  const quietHintId = useId();

  function toggleKind(kind: NotificationKind, on: boolean) {
    setMuted((current) => {
      const next = new Set(current);
      if (on) next.add(kind);
      else next.delete(kind);
      return next;
    });
  }

  function submit(event: FormEvent) {
    event.preventDefault();
    if (quietOn) {
      const errors: { start?: string; end?: string } = {};
      if (!start) errors.start = "Enter the time quiet hours begin, e.g. 22:00.";
      if (!end) errors.end = "Enter the time quiet hours end, e.g. 07:00.";
      else if (start && start.slice(0, 5) === end.slice(0, 5)) errors.end = "Quiet hours must end at a different time than they start.";
      setLocalErrors(errors);
      if (errors.start || errors.end) return;
    } else {
      setLocalErrors({});
    }
    update.mutate(
      {
        quiet_hours: quietOn ? { start, end } : null,
        muted_kinds: notificationKinds.map(({ kind }) => kind).filter((kind) => muted.has(kind)),
      },
      { onSuccess: () => toast.success("Notification settings saved") },
    );
  }

  const fields = update.error instanceof ApiError ? update.error.fieldErrors() : {};
  const startError = localErrors.start ?? fields["quiet_hours.start"];
  const endError = localErrors.end ?? fields["quiet_hours.end"] ?? fields.quiet_hours;
  const mutedError = fields.muted_kinds;
  const shownAtField = Boolean(fields["quiet_hours.start"] || fields["quiet_hours.end"] || fields.quiet_hours || mutedError);
  return (
    <form onSubmit={submit} className="space-y-5" noValidate>
      <FormError message={update.error && !shownAtField ? update.error.message : undefined} />
      <div className="space-y-3">
        <label className="flex min-h-10 items-center gap-3 font-medium text-slate-800">
          <input
            type="checkbox"
            className="size-5 accent-brand-700"
            checked={quietOn}
            onChange={(event) => setQuietOn(event.target.checked)}
            aria-describedby={quietHintId}
          />
          Quiet hours
        </label>
        <p id={quietHintId} className="text-sm text-slate-600">
          No reminders between these times, in your time zone ({zone.replaceAll("_", " ")}). They may run past midnight.
        </p>
        {quietOn && (
          <div className="grid grid-cols-2 gap-3">
            <TextField label="Quiet from" type="time" value={start} onChange={(event) => setStart(event.target.value)} required error={startError} />
            <TextField label="Quiet until" type="time" value={end} onChange={(event) => setEnd(event.target.value)} required error={endError} />
          </div>
        )}
      </div>
      <fieldset className="space-y-2" aria-describedby={mutedError ? `${quietHintId}-muted-error` : undefined}>
        <legend className="font-medium text-slate-800">Mute these notifications</legend>
        <p className="text-sm text-slate-600">Muted kinds never reach your notifications, in any household.</p>
        <div className="grid gap-1 sm:grid-cols-2">
          {notificationKinds.map(({ kind, label }) => (
            <label key={kind} className="flex min-h-10 items-center gap-3 text-slate-800">
              <input type="checkbox" className="size-5 accent-brand-700" checked={muted.has(kind)} onChange={(event) => toggleKind(kind, event.target.checked)} />
              {label}
            </label>
          ))}
        </div>
        {mutedError && (
          <p id={`${quietHintId}-muted-error`} role="alert" className="text-sm font-medium text-red-700">
            {mutedError}
          </p>
        )}
      </fieldset>
      <Button type="submit" busy={update.isPending}>
        Save notification settings
      </Button>
    </form>
  );
}
