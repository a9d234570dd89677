import { Page } from "@/components/ui/page";

export function ChoreRoute() {
  return <Page title="Chore">{null}</Page>;
}
