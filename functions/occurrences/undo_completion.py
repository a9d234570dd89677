"""Reopen a completed occurrence and reverse its points (within 24 hours) (operation `undo_completion`)."""

from __future__ import annotations

from shared import occurrences
from shared.http import Access, Call, Function, lambda_handler
from shared.schemas import OccurrencePublic


async def undo_completion(call: Call) -> OccurrencePublic:
    """Reopen a completed occurrence and reverse its points (within 24 hours)."""
    return await occurrences.undo(
        call.session, membership=call.member, occurrence_id=call.path_id("occurrence_id")
    )


function = Function(
    handler=undo_completion,
    method="POST",
    path="/api/households/{household_id:uuid}/occurrences/{occurrence_id:uuid}/undo",
    access=Access.MEMBER,
    tag="occurrences",
    response=OccurrencePublic,
    errors=(409, 410),
)
app = function.app()
handler = lambda_handler(app)
