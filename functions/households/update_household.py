"""Rename a household or change its time zone (operation `update_household`)."""

from __future__ import annotations

from shared import households
from shared.http import Access, Call, Function, lambda_handler
from shared.schemas import HouseholdPublic, HouseholdUpdate


async def update_household(call: Call[HouseholdUpdate]) -> HouseholdPublic:
    """Rename a household or change its time zone."""
    return await households.update(call.session, membership=call.member, data=call.body)


function = Function(
    handler=update_household,
    method="PATCH",
    path="/api/households/{household_id:uuid}",
    access=Access.ADMIN,
    tag="households",
    request=HouseholdUpdate,
    response=HouseholdPublic,
)
app = function.app()
handler = lambda_handler(app)
