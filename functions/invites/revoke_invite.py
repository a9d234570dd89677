"""Revoke an invite so its code no longer works (operation `revoke_invite`)."""

from __future__ import annotations

from shared import invites
from shared.http import Access, Call, Function, lambda_handler


async def revoke_invite(call: Call) -> None:
    """Revoke an invite so its code no longer works."""
    await invites.revoke(
        call.session, household_id=call.member.household_id, invite_id=call.path_id("invite_id")
    )


function = Function(
    handler=revoke_invite,
    method="DELETE",
    path="/api/households/{household_id:uuid}/invites/{invite_id:uuid}",
    access=Access.ADMIN,
    tag="invites",
    status_code=204,
)
app = function.app()
handler = lambda_handler(app)
