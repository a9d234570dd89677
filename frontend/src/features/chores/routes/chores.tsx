import { Page } from "@/components/ui/page";

export function ChoresRoute() {
  return <Page title="Chores">{null}</Page>;
}
