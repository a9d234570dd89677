import { Page } from "@/components/ui/page";

export function MembersRoute() {
  return <Page title="Members">{null}</Page>;
}
