import { Page } from "@/components/ui/page";

export function SettingsRoute() {
  return <Page title="Settings">{null}</Page>;
}
