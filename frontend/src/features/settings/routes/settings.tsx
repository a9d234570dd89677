import { signOut } from "firebase/auth";
import { useNavigate } from "react-router";

import { Button } from "@/components/ui/button";
import { Page } from "@/components/ui/page";
import { firebaseAuth } from "@/lib/firebase";

import { CalendarFeedsSection } from "../components/calendar-feeds-section";
import { NotificationSettingsSection } from "../components/notification-settings-section";
import { ProfileSection } from "../components/profile-section";

/** Your own settings: profile, notifications and calendar links, each loading and failing on its own. */
export function SettingsRoute() {
  const navigate = useNavigate();
  return (
    <Page
      title="Settings"
      actions={
        <Button variant="secondary" onClick={() => void signOut(firebaseAuth()).then(() => navigate("/sign-in"))}>
          Sign out
        </Button>
      }
    >
      <div className="space-y-4">
        <ProfileSection />
        <NotificationSettingsSection />
        <CalendarFeedsSection />
      </div>
    </Page>
  );
}
