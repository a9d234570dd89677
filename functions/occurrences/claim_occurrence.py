"""Claim an unassigned occurrence of a pool chore (operation `claim_occurrence`)."""

from __future__ import annotations

from shared import occurrences
from shared.http import Access, Call, Function, lambda_handler
from shared.schemas import OccurrencePublic


async def claim_occurrence(call: Call) -> OccurrencePublic:
    """Claim an unassigned occurrence of a pool chore."""
    return await occurrences.claim(
        call.session, membership=call.member, occurrence_id=call.path_id("occurrence_id")
    )


function = Function(
    handler=claim_occurrence,
    method="POST",
    path="/api/households/{household_id:uuid}/occurrences/{occurrence_id:uuid}/claim",
    access=Access.MEMBER,
    tag="occurrences",
    response=OccurrencePublic,
    errors=(409,),
)
app = function.app()
handler = lambda_handler(app)
