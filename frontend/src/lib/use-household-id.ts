import { useParams } from "react-router";

/** The household id of the current screen (always set under /h/:householdId). */
export function useHouseholdId(): string {
  const { householdId } = useParams();
  if (!householdId) throw new Error("useHouseholdId outside /h/:householdId");
  return householdId;
}
