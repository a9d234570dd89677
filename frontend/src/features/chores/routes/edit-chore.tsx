import { Page } from "@/components/ui/page";

export function EditChoreRoute() {
  return <Page title="Edit chore">{null}</Page>;
}
