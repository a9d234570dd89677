"""Give one occurrence to another member (operation `reassign_occurrence`)."""

from __future__ import annotations

from shared import occurrences
from shared.http import Access, Call, Function, lambda_handler
from shared.schemas import OccurrencePublic, ReassignRequest


async def reassign_occurrence(call: Call[ReassignRequest]) -> OccurrencePublic:
    """Give one occurrence to another member."""
    return await occurrences.reassign(
        call.session, membership=call.member, occurrence_id=call.path_id("occurrence_id"), data=call.body
    )


function = Function(
    handler=reassign_occurrence,
    method="POST",
    path="/api/households/{household_id:uuid}/occurrences/{occurrence_id:uuid}/reassign",
    access=Access.MEMBER,
    tag="occurrences",
    request=ReassignRequest,
    response=OccurrencePublic,
    errors=(409,),
)
app = function.app()
handler = lambda_handler(app)
