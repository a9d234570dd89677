import { useParams } from "react-router";

import { Card, Page } from "@/components/ui/page";

import { JoinForm } from "../components/join-form";

/** An invite link (`/join/<code>`): the code is filled in, one tap joins. */
export function JoinRoute() {
  const { code = "" } = useParams();
  return (
    <Page title="Join a household">
      <Card>
        <p className="mb-4 text-slate-700">You were invited to a household on Chorus. Join it to see and share its chores.</p>
        <JoinForm initialCode={code} />
      </Card>
    </Page>
  );
}
