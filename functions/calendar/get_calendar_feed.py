"""The iCal feed behind a secret URL (operation `get_calendar_feed`)."""

from __future__ import annotations

from starlette.responses import Response

from shared import calendar
from shared.http import Access, Call, Function, lambda_handler


async def get_calendar_feed(call: Call) -> Response:
    """The next 90 days of your households' chores as iCalendar; the token in the URL is the key."""
    body = await calendar.render(call.session, token=call.request.path_params["token"])
    return Response(body, media_type=function.media_type, headers={"Cache-Control": "private, max-age=300"})


function = Function(
    handler=get_calendar_feed,
    method="GET",
    path="/api/calendar/{token:str}.ics",
    access=Access.PUBLIC,
    tag="calendar",
    media_type="text/calendar",
    secret_path=True,
    read_only=True,
)
app = function.app()
handler = lambda_handler(app)
