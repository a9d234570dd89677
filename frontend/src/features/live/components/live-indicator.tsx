import { useEffect, useState } from "react";

import { useLiveState } from "../live-provider";

/** Connecting briefly is normal (first load, a relay restart): only say so when it lasts. */
export const OFFLINE_NOTICE_DELAY_MS = 2000;

/** Header status of live updates: a quiet green dot when live, words when not. */
export function LiveIndicator() {
  const { status, outages } = useLiveState();
  // The outage (by number) that has lasted long enough to be shown.
  const [noticed, setNoticed] = useState<number | null>(null);
  const live = status === "live";

  // Keyed on live/not live only: retries flip between connecting and offline without ending it.
  useEffect(() => {
    if (live) return;
    const timer = setTimeout(() => setNoticed(outages), OFFLINE_NOTICE_DELAY_MS);
    return () => clearTimeout(timer);
  }, [live, outages]);

  const showOffline = !live && noticed === outages;
  const label = live ? "Live updates on" : showOffline ? "Offline — reconnecting…" : undefined;

  // One live region that stays in place, so screen readers announce the change of its text.
  return (
    <span role="status" aria-label={label} className="flex items-center">
      {live && (
        <span className="flex size-6 items-center justify-center" title="Live updates on">
          <span aria-hidden="true" className="size-2.5 rounded-full bg-green-600 ring-2 ring-green-100" />
          <span className="sr-only">Live updates on</span>
        </span>
      )}
      {showOffline && (
        <span className="whitespace-nowrap rounded-full border border-amber-300 bg-amber-50 px-2.5 py-1 text-xs font-medium text-amber-900">
          <span aria-hidden="true" className="mr-1.5 inline-block size-2 rounded-full bg-amber-500" />
          Offline — reconnecting…
        </span>
      )}
    </span>
  );
}
