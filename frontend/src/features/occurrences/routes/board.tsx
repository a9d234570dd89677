import { Page } from "@/components/ui/page";

export function BoardRoute() {
  return <Page title="Board">{null}</Page>;
}
