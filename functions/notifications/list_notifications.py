"""Your notifications, newest first, a page at a time (operation `list_notifications`)."""

from __future__ import annotations

from shared import notifications
from shared.http import Access, Call, Function, lambda_handler
from shared.schemas import NotificationQuery, NotificationsPage


async def list_notifications(call: Call[None, NotificationQuery]) -> NotificationsPage:
    """Your notifications, newest first, a page at a time, with your unread count."""
    return await notifications.list_for_user(call.session, user_id=call.user.id, query=call.query)


function = Function(
    handler=list_notifications,
    method="GET",
    path="/api/me/notifications",
    access=Access.USER,
    tag="notifications",
    query=NotificationQuery,
    response=NotificationsPage,
    read_only=True,
)
app = function.app()
handler = lambda_handler(app)
