"""Create a household (operation `create_household`)."""

from __future__ import annotations

from shared import households
from shared.http import Access, Call, Function, lambda_handler
from shared.schemas import HouseholdCreate, HouseholdPublic


async def create_household(call: Call[HouseholdCreate]) -> HouseholdPublic:
    """Create a household; you become its owner."""
    return await households.create(call.session, user=call.user, data=call.body)


function = Function(
    handler=create_household,
    method="POST",
    path="/api/households",
    access=Access.USER,
    tag="households",
    request=HouseholdCreate,
    response=HouseholdPublic,
    status_code=201,
    errors=(409,),  # too-many-households
)
app = function.app()
handler = lambda_handler(app)
