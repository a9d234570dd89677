"""Move one occurrence to another due time (operation `reschedule_occurrence`)."""

from __future__ import annotations

from shared import occurrences
from shared.http import Access, Call, Function, lambda_handler
from shared.schemas import OccurrencePublic, RescheduleRequest


async def reschedule_occurrence(call: Call[RescheduleRequest]) -> OccurrencePublic:
    """Move one occurrence to another due time."""
    return await occurrences.reschedule(
        call.session, membership=call.member, occurrence_id=call.path_id("occurrence_id"), data=call.body
    )


function = Function(
    handler=reschedule_occurrence,
    method="POST",
    path="/api/households/{household_id:uuid}/occurrences/{occurrence_id:uuid}/reschedule",
    access=Access.MEMBER,
    tag="occurrences",
    request=RescheduleRequest,
    response=OccurrencePublic,
    errors=(409,),
)
app = function.app()
handler = lambda_handler(app)
