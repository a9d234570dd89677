export function Badge({ children, tone = "slate" }: { children: string; tone?: "slate" | "amber" }) {
  const colours = tone === "amber" ? "bg-amber-100 text-amber-900" : "bg-slate-200 text-slate-800";
  return <span className={`rounded-full px-2 py-0.5 text-xs font-medium ${colours}`}>{children}</span>;
}
