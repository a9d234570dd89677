import { Page } from "@/components/ui/page";

import { CalendarFeedsSection } from "../components/calendar-feeds-section";
import { NotificationSettingsSection } from "../components/notification-settings-section";
import { ProfileSection } from "../components/profile-section";

/** Your own settings: profile, notifications and calendar links, each loading and failing on its own. */
export function SettingsRoute() {
  return (
    <Page title="Settings">
      <div className="space-y-4">
        <ProfileSection />
        <NotificationSettingsSection />
        <CalendarFeedsSection />
      </div>
    </Page>
  );
}
