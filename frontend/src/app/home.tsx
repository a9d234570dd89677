import { Navigate } from "react-router";

import { QueryState } from "@/components/ui/states";
import { useUser } from "@/features/auth/auth-provider";
import { useHouseholds } from "@/features/households/api/list-households";

import { lastHouseholdKey } from "./layout";

/** `/`: your last household's day, the only one's, or onboarding when you have none. */
export function HomeRoute() {
  const households = useHouseholds();
  const user = useUser();
  return (
    <QueryState query={households} loading="Loading your households">
      {(list) => {
        if (list.length === 0) return <Navigate to="/welcome" replace />;
        const last = localStorage.getItem(lastHouseholdKey(user.uid));
        const target = list.find((household) => household.id === last) ?? list[0]!;
        return <Navigate to={`/h/${target.id}/today`} replace />;
      }}
    </QueryState>
  );
}
