import { Link } from "react-router";

import { Page } from "@/components/ui/page";
import { useHousehold } from "@/features/households/api/get-household";
import { useMe } from "@/features/me/api/get-me";
import { useHouseholdId } from "@/lib/use-household-id";

import { AwaySection } from "../components/away-section";
import { InvitesSection } from "../components/invites-section";
import { MemberList } from "../components/member-list";
import { isAdmin } from "../components/roles";

export function MembersRoute() {
  const householdId = useHouseholdId();
  const household = useHousehold(householdId);
  const me = useMe();
  const myRole = household.data?.role;
  const timeZone = household.data?.timezone ?? "UTC";

  return (
    <Page
      title="Members"
      actions={
        <Link to={`/h/${householdId}/settings`} className="rounded-lg px-3 py-2 text-sm font-medium text-brand-700 underline hover:bg-slate-100">
          Household settings
        </Link>
      }
    >
      <MemberList householdId={householdId} myRole={myRole} myId={me.data?.id} />
      {isAdmin(myRole) && <InvitesSection householdId={householdId} myRole={myRole} timeZone={timeZone} />}
      <AwaySection householdId={householdId} timeZone={timeZone} myRole={myRole} myId={me.data?.id} />
    </Page>
  );
}
