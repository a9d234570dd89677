import { Page } from "@/components/ui/page";

export function NewChoreRoute() {
  return <Page title="New chore">{null}</Page>;
}
