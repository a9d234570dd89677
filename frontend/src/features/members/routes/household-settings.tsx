import { Page } from "@/components/ui/page";

export function HouseholdSettingsRoute() {
  return <Page title="Household settings">{null}</Page>;
}
