"""Away periods in a household (operation `list_away`)."""

from __future__ import annotations

from shared import away
from shared.http import Access, Call, Function, lambda_handler
from shared.schemas import AwaysPublic


async def list_away(call: Call) -> AwaysPublic:
    """Away periods in a household."""
    return await away.list_for_household(call.session, household_id=call.member.household_id)


function = Function(
    handler=list_away,
    method="GET",
    path="/api/households/{household_id:uuid}/away",
    access=Access.MEMBER,
    tag="members",
    response=AwaysPublic,
    read_only=True,
)
app = function.app()
handler = lambda_handler(app)
