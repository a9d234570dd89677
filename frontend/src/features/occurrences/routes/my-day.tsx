import { Page } from "@/components/ui/page";

export function MyDayRoute() {
  return <Page title="My day">{null}</Page>;
}
