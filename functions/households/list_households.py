"""The households you belong to (operation `list_households`)."""

from __future__ import annotations

from shared import households
from shared.http import Access, Call, Function, lambda_handler
from shared.schemas import HouseholdsPublic


async def list_households(call: Call) -> HouseholdsPublic:
    """The households you belong to."""
    return await households.list_for_user(call.session, user=call.user)


function = Function(
    handler=list_households,
    method="GET",
    path="/api/households",
    access=Access.USER,
    tag="households",
    response=HouseholdsPublic,
    read_only=True,
)
app = function.app()
handler = lambda_handler(app)
