import type { ReactNode } from "react";

import { errorMessage } from "@/lib/api/client";

import { Button } from "./button";

export function Spinner({ label = "Loading" }: { label?: string }) {
  return (
    <span role="status" className="inline-flex items-center gap-2 text-slate-600">
      <span className="size-5 animate-spin rounded-full border-2 border-brand-600 border-t-transparent" aria-hidden />
      <span className="text-sm">{label}…</span>
    </span>
  );
}

export function LoadingState({ label }: { label?: string }) {
  return (
    <div className="flex justify-center py-12">
      <Spinner label={label} />
    </div>
  );
}

export function EmptyState({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="rounded-xl border border-dashed border-slate-300 bg-white px-6 py-10 text-center">
      <p className="font-medium text-slate-800">{title}</p>
      {children && <div className="mt-2 text-sm text-slate-600">{children}</div>}
    </div>
  );
}

export function ErrorState({ error, retry }: { error: unknown; retry?: () => void }) {
  return (
    <div role="alert" className="rounded-xl border border-red-200 bg-red-50 px-6 py-8 text-center">
      <p className="font-medium text-red-800">{errorMessage(error)}</p>
      {retry && (
        <Button variant="secondary" className="mt-4" onClick={retry}>
          Try again
        </Button>
      )}
    </div>
  );
}

/**
 * The usual loading / error / content switch for one query. Once there is data it stays on
 * screen: a failed background refresh (a reconnect, a focus refetch) must not replace a form
 * someone is typing in, so it only adds a note above the content.
 */
export function QueryState<T>({
  query,
  children,
  loading,
}: {
  query: { data: T | undefined; error: unknown; isPending: boolean; refetch: () => unknown };
  children: (data: T) => ReactNode;
  loading?: string;
}) {
  if (query.data !== undefined) {
    return (
      <>
        {query.error != null && <StaleNote error={query.error} retry={() => void query.refetch()} />}
        {children(query.data)}
      </>
    );
  }
  if (query.isPending) return <LoadingState label={loading} />;
  return <ErrorState error={query.error} retry={() => void query.refetch()} />;
}

function StaleNote({ error, retry }: { error: unknown; retry: () => void }) {
  return (
    <div role="status" className="mx-auto mt-2 flex max-w-3xl items-center justify-between gap-3 rounded-lg bg-amber-50 px-3 py-2 text-sm text-amber-900 ring-1 ring-amber-200">
      <span>Could not refresh: {errorMessage(error)} What you see may be out of date.</span>
      <button type="button" onClick={retry} className="font-medium underline">
        Retry
      </button>
    </div>
  );
}
