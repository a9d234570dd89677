"""Create a secret iCal feed URL (operation `create_calendar_feed`)."""

from __future__ import annotations

from shared import calendar
from shared.http import Access, Call, Function, lambda_handler
from shared.schemas import CalendarFeedCreated


async def create_calendar_feed(call: Call) -> CalendarFeedCreated:
    """Create a secret iCal feed URL of your households' chores; the URL is shown only now."""
    return await calendar.create(call.session, user_id=call.user.id)


function = Function(
    handler=create_calendar_feed,
    method="POST",
    path="/api/me/calendar-feeds",
    access=Access.USER,
    tag="calendar",
    response=CalendarFeedCreated,
    status_code=201,
    errors=(409,),
)
app = function.app()
handler = lambda_handler(app)
