"""Join a household with an invite code (operation `join_household`)."""

from __future__ import annotations

from shared import invites
from shared.http import Access, Call, Function, lambda_handler
from shared.schemas import HouseholdPublic, JoinRequest


async def join_household(call: Call[JoinRequest]) -> HouseholdPublic:
    """Join a household with an invite code."""
    return await invites.join(call.session, user=call.user, raw_code=call.body.code)


function = Function(
    handler=join_household,
    method="POST",
    path="/api/households/join",
    access=Access.USER,
    tag="households",
    request=JoinRequest,
    response=HouseholdPublic,
    errors=(409, 410, 429),
)
app = function.app()
handler = lambda_handler(app)
