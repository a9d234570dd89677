"""Create a chore (operation `create_chore`)."""

from __future__ import annotations

from shared import chores
from shared.http import Access, Call, Function, lambda_handler
from shared.schemas import ChoreCreate, ChorePublic


async def create_chore(call: Call[ChoreCreate]) -> ChorePublic:
    """Create a chore; its first occurrence is scheduled at once."""
    return await chores.create(call.session, membership=call.member, data=call.body)


function = Function(
    handler=create_chore,
    method="POST",
    path="/api/households/{household_id:uuid}/chores",
    access=Access.ADULT,
    tag="chores",
    request=ChoreCreate,
    response=ChorePublic,
    status_code=201,
    errors=(409,),
)
app = function.app()
handler = lambda_handler(app)
