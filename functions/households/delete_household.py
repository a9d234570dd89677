"""Delete a household and everything in it (operation `delete_household`)."""

from __future__ import annotations

from shared import households
from shared.http import Access, Call, Function, lambda_handler


async def delete_household(call: Call) -> None:
    """Delete a household and everything in it; needs a recent sign-in."""
    await households.delete(call.session, membership=call.member, claims=call.auth_claims)


function = Function(
    handler=delete_household,
    method="DELETE",
    path="/api/households/{household_id:uuid}",
    access=Access.OWNER,
    tag="households",
    status_code=204,
)
app = function.app()
handler = lambda_handler(app)
