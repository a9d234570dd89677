import type { Schemas } from "@/lib/api/client";

export type NotificationKind = Schemas["NotificationSettingsPublic"]["muted_kinds"][number];

/** Every kind, in the order the server lists them, with the words a household uses. */
export const notificationKinds: { kind: NotificationKind; label: string }[] = [
  { kind: "assigned", label: "Assigned to you" },
  // Not "reassigned": Playwright's label match is a substring one, and it would also hit "Assigned to you".
  { kind: "reassigned_away", label: "Handed to someone else" },
  { kind: "due_soon", label: "Due soon" },
  { kind: "overdue", label: "Overdue" },
  { kind: "completed_by_other", label: "Done by someone else" },
  { kind: "member_joined", label: "Member joined" },
  { kind: "member_left", label: "Member left" },
];
