"""Mark notifications read, by id or everything up to a time (operation `mark_notifications_read`)."""

from __future__ import annotations

from shared import notifications
from shared.http import Access, Call, Function, lambda_handler
from shared.schemas import MarkReadRequest, MarkReadResult


async def mark_notifications_read(call: Call[MarkReadRequest]) -> MarkReadResult:
    """Mark your notifications read, by id or everything up to a time."""
    return await notifications.mark_read(call.session, user_id=call.user.id, request=call.body)


function = Function(
    handler=mark_notifications_read,
    method="POST",
    path="/api/me/notifications/read",
    access=Access.USER,
    tag="notifications",
    request=MarkReadRequest,
    response=MarkReadResult,
)
app = function.app()
handler = lambda_handler(app)
