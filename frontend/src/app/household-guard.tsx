import { Outlet, useParams } from "react-router";

import { EmptyState, QueryState } from "@/components/ui/states";
import { Page } from "@/components/ui/page";
import { useHousehold } from "@/features/households/api/get-household";
import { ApiError } from "@/lib/api/client";

/** Screens under /h/:householdId render only once the household is known to be yours. */
export function HouseholdGuard() {
  const { householdId = "" } = useParams();
  const household = useHousehold(householdId);
  if (household.error instanceof ApiError && (household.error.status === 404 || household.error.status === 422)) {
    return (
      <Page title="Household not found">
        <EmptyState title="This household does not exist, or you are not a member of it.">
          <a className="text-brand-700 underline" href="/">Go to your households</a>
        </EmptyState>
      </Page>
    );
  }
  return <QueryState query={household}>{() => <Outlet />}</QueryState>;
}

