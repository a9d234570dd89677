"""Change your quiet hours or muted notification kinds (operation `update_notification_settings`)."""

from __future__ import annotations

from shared import notifications
from shared.http import Access, Call, Function, lambda_handler
from shared.schemas import NotificationSettingsPublic, NotificationSettingsUpdate


async def update_notification_settings(call: Call[NotificationSettingsUpdate]) -> NotificationSettingsPublic:
    """Change your quiet hours or muted notification kinds."""
    return await notifications.update_settings(call.session, user=call.user, data=call.body)


function = Function(
    handler=update_notification_settings,
    method="PATCH",
    path="/api/me/notification-settings",
    access=Access.USER,
    tag="notifications",
    request=NotificationSettingsUpdate,
    response=NotificationSettingsPublic,
)
app = function.app()
handler = lambda_handler(app)
