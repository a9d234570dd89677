"""Occurrences by due time (operation `list_occurrences`)."""

from __future__ import annotations

from shared import occurrences
from shared.http import Access, Call, Function, lambda_handler
from shared.schemas import OccurrenceQuery, OccurrencesPublic


async def list_occurrences(call: Call[None, OccurrenceQuery]) -> OccurrencesPublic:
    """Occurrences by due time; today, upcoming and overdue are filters."""
    return await occurrences.list_for_household(call.session, membership=call.member, query=call.query)


function = Function(
    handler=list_occurrences,
    method="GET",
    path="/api/households/{household_id:uuid}/occurrences",
    access=Access.MEMBER,
    tag="occurrences",
    query=OccurrenceQuery,
    response=OccurrencesPublic,
    read_only=True,
)
app = function.app()
handler = lambda_handler(app)
