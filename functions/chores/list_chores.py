"""A household's chores (operation `list_chores`)."""

from __future__ import annotations

from shared import chores
from shared.http import Access, Call, Function, lambda_handler
from shared.schemas import ChoreQuery, ChoresPublic


async def list_chores(call: Call[None, ChoreQuery]) -> ChoresPublic:
    """A household's chores."""
    return await chores.list_for_household(
        call.session, household_id=call.member.household_id, include_archived=call.query.include_archived
    )


function = Function(
    handler=list_chores,
    method="GET",
    path="/api/households/{household_id:uuid}/chores",
    access=Access.MEMBER,
    tag="chores",
    query=ChoreQuery,
    response=ChoresPublic,
    read_only=True,
)
app = function.app()
handler = lambda_handler(app)
