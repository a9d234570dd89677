import { useEffect, useId, useRef, useState } from "react";
import { useNavigate } from "react-router";
import { toast } from "sonner";

import { Button } from "@/components/ui/button";
import { ErrorState, Spinner } from "@/components/ui/states";
import { useMe } from "@/features/me/api/get-me";
import { type Schemas, errorMessage } from "@/lib/api/client";
import { browserTimeZone, formatDue } from "@/lib/time";

import { type NotificationsData, unreadCount, useNotifications } from "../api/list-notifications";
import { useMarkNotificationsRead } from "../api/mark-notifications-read";

type Notification = Schemas["NotificationPublic"];

export const notificationsLabel = (unread: number) => (unread > 0 ? `Notifications, ${unread} unread` : "Notifications");

/** The bell in the header, and the panel of your notifications (a disclosure under it). */
export function NotificationsButton() {
  const notifications = useNotifications();
  const [open, setOpen] = useState(false);
  const panelId = useId();
  const rootRef = useRef<HTMLDivElement>(null);
  const buttonRef = useRef<HTMLButtonElement>(null);
  const unread = unreadCount(notifications.data);

  useEffect(() => {
    if (!open) return;
    function onPointer(event: PointerEvent) {
      if (!rootRef.current?.contains(event.target as Node)) setOpen(false);
    }
    function onKey(event: KeyboardEvent) {
      if (event.key !== "Escape") return;
      setOpen(false);
      buttonRef.current?.focus();
    }
    document.addEventListener("pointerdown", onPointer);
    document.addEventListener("keydown", onKey);
    return () => {
      document.removeEventListener("pointerdown", onPointer);
      document.removeEventListener("keydown", onKey);
    };
  }, [open]);

  return (
    <div ref={rootRef} className="relative">
      <button
        ref={buttonRef}
        type="button"
        aria-label={notificationsLabel(unread)}
        aria-expanded={open}
        aria-controls={panelId}
        onClick={() => setOpen((was) => !was)}
        className="relative inline-flex size-10 items-center justify-center rounded-lg text-slate-700 hover:bg-slate-200"
      >
        <BellIcon />
        {unread > 0 && (
          <span
            aria-hidden
            data-testid="notifications-badge"
            className="absolute -right-0.5 -top-0.5 min-w-5 rounded-full bg-red-700 px-1 text-center text-xs font-semibold leading-5 text-white"
          >
            {unread > 99 ? "99+" : unread}
          </span>
        )}
      </button>
      {open && (
        <div
          id={panelId}
          role="region"
          aria-labelledby={`${panelId}-title`}
          className="fixed inset-x-2 top-14 z-30 max-h-[75dvh] overflow-y-auto rounded-xl bg-white shadow-xl ring-1 ring-slate-200 sm:absolute sm:inset-x-auto sm:right-0 sm:top-full sm:mt-2 sm:w-96"
        >
          <NotificationsPanel titleId={`${panelId}-title`} query={notifications} unread={unread} onNavigate={() => setOpen(false)} />
        </div>
      )}
    </div>
  );
}

function NotificationsPanel({
  titleId,
  query,
  unread,
  onNavigate,
}: {
  titleId: string;
  query: ReturnType<typeof useNotifications>;
  unread: number;
  onNavigate: () => void;
}) {
  const markRead = useMarkNotificationsRead();
  const navigate = useNavigate();
  const me = useMe();
  const timeZone = me.data?.timezone ?? browserTimeZone();

  function markAll(data: NotificationsData | undefined) {
    // Up to now, or the newest one shown if the server's clock is ahead of ours.
    const newest = data?.pages[0]?.data[0]?.created_at;
    const now = new Date().toISOString();
    const allBefore = newest && Date.parse(newest) > Date.parse(now) ? newest : now;
    markRead.mutate({ all_before: allBefore }, { onError: (error) => toast.error(errorMessage(error)) });
  }

  function choose(notification: Notification) {
    if (!notification.read) markRead.mutate({ ids: [notification.id] }, { onError: (error) => toast.error(errorMessage(error)) });
    if (notification.occurrence_id) {
      onNavigate();
      navigate(`/h/${notification.household_id}/today`);
    }
  }

  const items = query.data?.pages.flatMap((page) => page.data) ?? [];
  return (
    <div>
      <div className="flex items-center justify-between gap-2 border-b border-slate-200 px-4 py-2">
        <h2 id={titleId} className="font-semibold">
          Notifications
        </h2>
        <Button variant="ghost" size="sm" disabled={unread === 0} onClick={() => markAll(query.data)}>
          Mark all read
        </Button>
      </div>
      {query.isPending ? (
        <div className="flex justify-center py-8">
          <Spinner label="Loading notifications" />
        </div>
      ) : query.error && !query.data ? (
        <div className="p-3">
          <ErrorState error={query.error} retry={() => void query.refetch()} />
        </div>
      ) : items.length === 0 ? (
        <p className="px-4 py-8 text-center text-sm text-slate-600">No notifications yet. You will hear here when a chore is yours or someone helps out.</p>
      ) : (
        <>
          <ul className="divide-y divide-slate-100">
            {items.map((notification) => (
              <li key={notification.id}>
                <button
                  type="button"
                  onClick={() => choose(notification)}
                  className={`flex w-full items-start gap-3 px-4 py-3 text-left hover:bg-slate-100 ${notification.read ? "" : "bg-brand-50"}`}
                >
                  <span aria-hidden className={`mt-1.5 size-2 shrink-0 rounded-full ${notification.read ? "bg-transparent" : "bg-brand-700"}`} />
                  <span className="min-w-0 flex-1">
                    <span className={`block text-sm ${notification.read ? "text-slate-700" : "font-semibold text-slate-900"}`}>{notification.text}</span>
                    <span className="block text-xs text-slate-600">
                      <time dateTime={notification.created_at}>{formatDue(notification.created_at, { timeZone })}</time>
                      {!notification.read && <span className="sr-only">, unread</span>}
                    </span>
                  </span>
                </button>
              </li>
            ))}
          </ul>
          {query.hasNextPage && (
            <div className="border-t border-slate-200 p-2 text-center">
              <Button variant="ghost" size="sm" busy={query.isFetchingNextPage} onClick={() => void query.fetchNextPage()}>
                Show older
              </Button>
            </div>
          )}
        </>
      )}
    </div>
  );
}

function BellIcon() {
  return (
    <svg aria-hidden viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth={2} strokeLinecap="round" strokeLinejoin="round" className="size-5">
      <path d="M6 8a6 6 0 0 1 12 0c0 7 3 9 3 9H3s3-2 3-9" />
      <path d="M10.3 21a1.94 1.94 0 0 0 3.4 0" />
    </svg>
  );
}
