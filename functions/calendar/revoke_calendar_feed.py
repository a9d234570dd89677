"""Revoke a calendar feed so its URL stops working (operation `revoke_calendar_feed`)."""

from __future__ import annotations

from shared import calendar
from shared.http import Access, Call, Function, lambda_handler


async def revoke_calendar_feed(call: Call) -> None:
    """Revoke one of your calendar feeds so its URL stops working."""
    await calendar.revoke(call.session, user_id=call.user.id, feed_id=call.path_id("feed_id"))


function = Function(
    handler=revoke_calendar_feed,
    method="DELETE",
    path="/api/me/calendar-feeds/{feed_id:uuid}",
    access=Access.USER,
    tag="calendar",
    status_code=204,
)
app = function.app()
handler = lambda_handler(app)
