"""Create an invite code for a household (operation `create_invite`)."""

from __future__ import annotations

from shared import invites
from shared.http import Access, Call, Function, lambda_handler
from shared.schemas import InviteCreate, InvitePublic


async def create_invite(call: Call[InviteCreate]) -> InvitePublic:
    """Create an invite code for a household."""
    return await invites.create(call.session, membership=call.member, data=call.body)


function = Function(
    handler=create_invite,
    method="POST",
    path="/api/households/{household_id:uuid}/invites",
    access=Access.ADMIN,
    tag="invites",
    request=InviteCreate,
    response=InvitePublic,
    status_code=201,
)
app = function.app()
handler = lambda_handler(app)
