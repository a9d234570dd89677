"""Your calendar feeds, without their tokens (operation `list_calendar_feeds`)."""

from __future__ import annotations

from shared import calendar
from shared.http import Access, Call, Function, lambda_handler
from shared.schemas import CalendarFeedsPublic


async def list_calendar_feeds(call: Call) -> CalendarFeedsPublic:
    """Your calendar feeds, newest first, without their tokens."""
    return await calendar.list_for_user(call.session, user_id=call.user.id)


function = Function(
    handler=list_calendar_feeds,
    method="GET",
    path="/api/me/calendar-feeds",
    access=Access.USER,
    tag="calendar",
    response=CalendarFeedsPublic,
    read_only=True,
)
app = function.app()
handler = lambda_handler(app)
