"""Change a chore (operation `update_chore`)."""

from __future__ import annotations

from shared import chores
from shared.http import Access, Call, Function, lambda_handler
from shared.schemas import ChorePublic, ChoreUpdate


async def update_chore(call: Call[ChoreUpdate]) -> ChorePublic:
    """Change a chore; schedule or eligibility changes recompute its open occurrence."""
    return await chores.update(
        call.session, membership=call.member, chore_id=call.path_id("chore_id"), data=call.body
    )


function = Function(
    handler=update_chore,
    method="PATCH",
    path="/api/households/{household_id:uuid}/chores/{chore_id:uuid}",
    access=Access.ADULT,
    tag="chores",
    request=ChoreUpdate,
    response=ChorePublic,
    errors=(409,),
)
app = function.app()
handler = lambda_handler(app)
