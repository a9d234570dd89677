"""The next due times of a proposed schedule, for the chore editor (operation `preview_schedule`)."""

from __future__ import annotations

from shared import chores
from shared.http import Access, Call, Function, lambda_handler
from shared.schemas import SchedulePreview, SchedulePreviewRequest


async def preview_schedule(call: Call[SchedulePreviewRequest]) -> SchedulePreview:
    """The next due times of a proposed schedule, for the chore editor."""
    return await chores.preview(call.session, household_id=call.member.household_id, data=call.body)


function = Function(
    handler=preview_schedule,
    method="POST",
    path="/api/households/{household_id:uuid}/schedule-preview",
    access=Access.MEMBER,
    tag="chores",
    request=SchedulePreviewRequest,
    response=SchedulePreview,
)
app = function.app()
handler = lambda_handler(app)
