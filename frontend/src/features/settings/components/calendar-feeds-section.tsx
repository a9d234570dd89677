import { useRef, useState } from "react";
import { toast } from "sonner";

import { Button } from "@/components/ui/button";
import { FormError, TextField } from "@/components/ui/field";
import { EmptyState, QueryState } from "@/components/ui/states";
import { useMe } from "@/features/me/api/get-me";
import { type Schemas, errorMessage } from "@/lib/api/client";
import { formatDateTime } from "@/lib/time";

import { useCreateCalendarFeed } from "../api/create-calendar-feed";
import { useCalendarFeeds } from "../api/list-calendar-feeds";
import { useRevokeCalendarFeed } from "../api/revoke-calendar-feed";
import { SettingsSection } from "./settings-section";

export function CalendarFeedsSection() {
  const feeds = useCalendarFeeds();
  const create = useCreateCalendarFeed();
  const revoke = useRevokeCalendarFeed();
  const zone = useMe().data?.timezone;
  // The server shows a link's address once, in the answer to its creation.
  const [created, setCreated] = useState<Schemas["CalendarFeedCreated"] | null>(null);

  function revokeFeed(feed: Schemas["CalendarFeedPublic"]) {
    revoke.mutate(feed.id, {
      onSuccess: () => {
        if (created?.id === feed.id) setCreated(null);
        toast.success("Calendar link revoked");
      },
      onError: (error) => toast.error(`The calendar link was not revoked: ${errorMessage(error)}`),
    });
  }

  return (
    <SettingsSection
      title="Calendar"
      description="See your households’ chores in your own calendar app through a private link. It updates about once an hour."
    >
      <div className="space-y-3">
        <FormError message={create.error ? errorMessage(create.error) : undefined} />
        <Button variant="secondary" busy={create.isPending} onClick={() => create.mutate(undefined, { onSuccess: setCreated })}>
          Create calendar link
        </Button>
        {created && <NewLink url={created.url} />}
      </div>
      <div className="space-y-2">
        <h3 className="font-medium text-slate-800">Your calendar links</h3>
        <QueryState query={feeds} loading="Loading your calendar links">
          {(all) => {
            const active = all.filter((feed) => !feed.revoked);
            const revokedCount = all.length - active.length;
            return (
              <>
                {active.length === 0 ? (
                  <EmptyState title="You have no calendar links yet." />
                ) : (
                  <ul className="divide-y divide-slate-200 rounded-lg ring-1 ring-slate-200">
                    {active.map((feed) => {
                      const date = formatDateTime(feed.created_at, zone);
                      return (
                        <li key={feed.id} className="flex flex-wrap items-center justify-between gap-2 px-3 py-2">
                          <span className="text-sm text-slate-800">
                            Created {date}
                            {created?.id === feed.id && <span className="ml-2 rounded bg-brand-100 px-1.5 py-0.5 text-xs font-medium text-brand-800">new</span>}
                          </span>
                          <Button
                            variant="danger"
                            size="sm"
                            aria-label={`Revoke calendar link created ${date}`}
                            busy={revoke.isPending && revoke.variables === feed.id}
                            onClick={() => revokeFeed(feed)}
                          >
                            Revoke
                          </Button>
                        </li>
                      );
                    })}
                  </ul>
                )}
                {revokedCount > 0 && (
                  <p className="text-sm text-slate-600">
                    {revokedCount === 1 ? "1 revoked link no longer works." : `${revokedCount} revoked links no longer work.`}
                  </p>
                )}
              </>
            );
          }}
        </QueryState>
      </div>
    </SettingsSection>
  );
}

function NewLink({ url }: { url: string }) {
  const box = useRef<HTMLDivElement>(null);

  async function copy() {
    try {
      await navigator.clipboard.writeText(url);
      toast.success("Calendar link copied");
    } catch {
      box.current?.querySelector("input")?.select();
      toast.error("This browser did not let Chorus copy. The link is selected: copy it with Ctrl+C or ⌘C.");
    }
  }

  return (
    <div ref={box} className="space-y-2 rounded-lg bg-brand-50 p-3 ring-1 ring-brand-100">
      <TextField
        label="Calendar link"
        value={url}
        readOnly
        onFocus={(event) => event.currentTarget.select()}
        className="font-mono text-sm"
        hint={
          <>
            Subscribe to it in Google Calendar, Apple Calendar or Outlook; anyone with the link can see your chores. It is shown only
            now, so copy it before you leave this page.
          </>
        }
      />
      <Button onClick={() => void copy()}>Copy calendar link</Button>
    </div>
  );
}
