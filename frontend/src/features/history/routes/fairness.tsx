import { Page } from "@/components/ui/page";

export function FairnessRoute() {
  return <Page title="Fairness">{null}</Page>;
}
