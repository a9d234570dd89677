"""One household you belong to (operation `get_household`)."""

from __future__ import annotations

from shared import households
from shared.http import Access, Call, Function, lambda_handler
from shared.schemas import HouseholdPublic


async def get_household(call: Call) -> HouseholdPublic:
    """One household you belong to."""
    return await households.get(call.session, membership=call.member)


function = Function(
    handler=get_household,
    method="GET",
    path="/api/households/{household_id:uuid}",
    access=Access.MEMBER,
    tag="households",
    response=HouseholdPublic,
    read_only=True,
)
app = function.app()
handler = lambda_handler(app)
