/** The windows the fairness view offers, in days, with the words for them. */
export const periods = [
  { days: 7, label: "Last 7 days" },
  { days: 28, label: "Last 4 weeks" },
  { days: 90, label: "Last 3 months" },
  { days: 365, label: "Last 12 months" },
] as const;

export const DEFAULT_DAYS = 28;

/** A period from the address bar, or the default for anything else. */
export function parseDays(value: string | null): number {
  const days = Number(value);
  return periods.some((period) => period.days === days) ? days : DEFAULT_DAYS;
}

export const periodLabel = (days: number) => periods.find((period) => period.days === days)?.label ?? `Last ${days} days`;
