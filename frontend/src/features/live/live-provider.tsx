import { type Query, hashKey, useQueryClient } from "@tanstack/react-query";
import { onIdTokenChanged } from "firebase/auth";
import { type ReactNode, createContext, useContext, useEffect, useState } from "react";

import { relayUrl } from "@/config";
import { useAuth } from "@/features/auth/auth-provider";
import { householdsQuery } from "@/features/households/api/list-households";
import { meQuery } from "@/features/me/api/get-me";
import { firebaseAuth } from "@/lib/firebase";
import { keys } from "@/lib/query";

import { applyRelayEvent, forgetHousehold } from "./event-effects";
import { RelayClient, type RelayStatus } from "./relay-client";

interface LiveState {
  status: RelayStatus;
  /** Counts the times the connection stopped being live, so a delay can restart each time. */
  outages: number;
}

export const LiveContext = createContext<LiveState>({ status: "connecting", outages: 0 });

/** Keeps one relay connection while someone is signed in and applies its events to the cache. */
export function LiveProvider({ children }: { children: ReactNode }) {
  const { user } = useAuth();
  const uid = user?.uid;
  const queryClient = useQueryClient();
  const [state, setState] = useState<LiveState>({ status: "connecting", outages: 0 });

  useEffect(() => {
    if (!uid) return;
    const client: RelayClient = new RelayClient({
      url: relayUrl,
      getToken: async (forceRefresh) => {
        const current = firebaseAuth().currentUser;
        if (!current || current.uid !== uid) throw new Error("signed out");
        const result = await current.getIdTokenResult(forceRefresh);
        return { token: result.token, expiresAt: Date.parse(result.expirationTime) };
      },
      onEvent: (event) => {
        const me = queryClient.getQueryData(meQuery().queryKey)?.id;
        if (applyRelayEvent(queryClient, event, me)) client.forget(event.household_id);
      },
      onResync: (householdId) => {
        // Only what was loaded before this moment can have missed something.
        const now = Date.now();
        const stale = (query: Query) => query.state.dataUpdatedAt < now;
        void queryClient.invalidateQueries({ queryKey: keys.household(householdId), predicate: stale });
        void queryClient.invalidateQueries({ queryKey: keys.notifications(), predicate: stale });
      },
      onGone: (householdId) => forgetHousehold(queryClient, householdId),
      onStatus: (status) =>
        setState((previous) =>
          previous.status === status
            ? previous
            : { status, outages: previous.status === "live" ? previous.outages + 1 : previous.outages },
        ),
    });

    // Knowing who "me" is tells a removal of me from one of someone else; it also makes sure the
    // account exists before the relay is asked (it answers 4403 otherwise).
    void queryClient.prefetchQuery(meQuery());

    // A household created or joined since connecting is not on this connection yet.
    const householdsHash = hashKey(keys.households());
    const checkHouseholds = () => {
      const households = queryClient.getQueryData(householdsQuery().queryKey);
      if (households) client.expect(households.map((household) => household.id));
    };
    const unsubscribeCache = queryClient.getQueryCache().subscribe((cacheEvent) => {
      if (
        cacheEvent.type === "updated" &&
        cacheEvent.action.type === "success" &&
        cacheEvent.query.queryHash === householdsHash
      ) {
        checkHouseholds();
      }
    });

    const unsubscribeToken = onIdTokenChanged(firebaseAuth(), (changed) => {
      if (changed?.uid === uid) client.tokenChanged();
    });

    // Back online or back to the tab while waiting to retry: no need to sit out the backoff.
    const wake = () => {
      if (document.visibilityState === "visible") client.retryNow();
    };
    window.addEventListener("online", wake);
    document.addEventListener("visibilitychange", wake);

    client.start();
    checkHouseholds();

    return () => {
      window.removeEventListener("online", wake);
      document.removeEventListener("visibilitychange", wake);
      unsubscribeToken();
      unsubscribeCache();
      client.stop();
    };
  }, [uid, queryClient]);

  return <LiveContext value={state}>{children}</LiveContext>;
}

/** The relay connection: "live", "connecting" or "offline". */
export function useLiveStatus(): RelayStatus {
  return useContext(LiveContext).status;
}

export function useLiveState(): LiveState {
  return useContext(LiveContext);
}
