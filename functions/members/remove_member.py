"""Remove someone from a household (operation `remove_member`)."""

from __future__ import annotations

from shared import members
from shared.http import Access, Call, Function, lambda_handler


async def remove_member(call: Call) -> None:
    """Remove someone from a household."""
    await members.remove(call.session, membership=call.member, user_id=call.path_id("user_id"))


function = Function(
    handler=remove_member,
    method="DELETE",
    path="/api/households/{household_id:uuid}/members/{user_id:uuid}",
    access=Access.ADMIN,
    tag="members",
    status_code=204,
    errors=(409,),
)
app = function.app()
handler = lambda_handler(app)
