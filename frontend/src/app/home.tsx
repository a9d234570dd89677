import { Navigate } from "react-router";

import { QueryState } from "@/components/ui/states";
import { useHouseholds } from "@/features/households/api/list-households";

import { LAST_HOUSEHOLD } from "./layout";

/** `/`: your last household's day, the only one's, or onboarding when you have none. */
export function HomeRoute() {
  const households = useHouseholds();
  return (
    <QueryState query={households} loading="Loading your households">
      {(list) => {
        if (list.length === 0) return <Navigate to="/welcome" replace />;
        const last = localStorage.getItem(LAST_HOUSEHOLD);
        const target = list.find((household) => household.id === last) ?? list[0]!;
        return <Navigate to={`/h/${target.id}/today`} replace />;
      }}
    </QueryState>
  );
}
