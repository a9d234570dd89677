"""Leave a household (operation `leave_household`)."""

from __future__ import annotations

from shared import members
from shared.http import Access, Call, Function, lambda_handler


async def leave_household(call: Call) -> None:
    """Leave a household; the last owner must hand over first."""
    await members.leave(call.session, membership=call.member)


function = Function(
    handler=leave_household,
    method="POST",
    path="/api/households/{household_id:uuid}/leave",
    access=Access.MEMBER,
    tag="households",
    status_code=204,
    errors=(409,),
)
app = function.app()
handler = lambda_handler(app)
