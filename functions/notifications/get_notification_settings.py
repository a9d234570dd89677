"""Your quiet hours and muted notification kinds (operation `get_notification_settings`)."""

from __future__ import annotations

from shared import notifications
from shared.http import Access, Call, Function, lambda_handler
from shared.schemas import NotificationSettingsPublic


async def get_notification_settings(call: Call) -> NotificationSettingsPublic:
    """Your quiet hours and muted notification kinds."""
    return notifications.get_settings(user=call.user)


function = Function(
    handler=get_notification_settings,
    method="GET",
    path="/api/me/notification-settings",
    access=Access.USER,
    tag="notifications",
    response=NotificationSettingsPublic,
    read_only=True,
)
app = function.app()
handler = lambda_handler(app)
