import type { ReactNode } from "react";
import { Link } from "react-router";

export function AuthLayout({ title, children, footer }: { title: string; children: ReactNode; footer?: ReactNode }) {
  return (
    <main className="flex min-h-dvh items-start justify-center px-4 py-10 sm:items-center">
      <div className="w-full max-w-sm space-y-6">
        <div className="text-center">
          <Link to="/" className="inline-flex items-center gap-2 text-2xl font-bold text-brand-700">
            <img src="/favicon.svg" alt="" className="size-8" /> Chorus
          </Link>
          <h1 className="mt-4 text-xl font-semibold">{title}</h1>
        </div>
        <div className="rounded-xl bg-white p-5 shadow-sm ring-1 ring-slate-200">{children}</div>
        {footer && <div className="text-center text-sm text-slate-700">{footer}</div>}
      </div>
    </main>
  );
}
