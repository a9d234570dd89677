"""Mark a member away (operation `set_away`)."""

from __future__ import annotations

from shared import away
from shared.http import Access, Call, Function, lambda_handler
from shared.schemas import AwayCreate, AwayPublic


async def set_away(call: Call[AwayCreate]) -> AwayPublic:
    """Mark a member away; rotation passes over them on those days."""
    return await away.create(call.session, membership=call.member, data=call.body)


function = Function(
    handler=set_away,
    method="POST",
    path="/api/households/{household_id:uuid}/away",
    access=Access.MEMBER,
    tag="members",
    request=AwayCreate,
    response=AwayPublic,
    status_code=201,
    errors=(409,),
)
app = function.app()
handler = lambda_handler(app)
