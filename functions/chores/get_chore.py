"""One chore, with its rule and next due time (operation `get_chore`)."""

from __future__ import annotations

from shared import chores
from shared.http import Access, Call, Function, lambda_handler
from shared.schemas import ChorePublic


async def get_chore(call: Call) -> ChorePublic:
    """One chore, with its rule and next due time."""
    return await chores.get(
        call.session, household_id=call.member.household_id, chore_id=call.path_id("chore_id")
    )


function = Function(
    handler=get_chore,
    method="GET",
    path="/api/households/{household_id:uuid}/chores/{chore_id:uuid}",
    access=Access.MEMBER,
    tag="chores",
    response=ChorePublic,
    read_only=True,
)
app = function.app()
handler = lambda_handler(app)
