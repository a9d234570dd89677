"""A household's invites with their status (operation `list_invites`)."""

from __future__ import annotations

from shared import invites
from shared.http import Access, Call, Function, lambda_handler
from shared.schemas import InvitesPublic


async def list_invites(call: Call) -> InvitesPublic:
    """A household's invites with their status."""
    return await invites.list_for_household(call.session, household_id=call.member.household_id)


function = Function(
    handler=list_invites,
    method="GET",
    path="/api/households/{household_id:uuid}/invites",
    access=Access.ADMIN,
    tag="invites",
    response=InvitesPublic,
    read_only=True,
)
app = function.app()
handler = lambda_handler(app)
