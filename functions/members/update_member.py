"""Change a member's role (operation `update_member`)."""

from __future__ import annotations

from shared import members
from shared.http import Access, Call, Function, lambda_handler
from shared.schemas import MemberPublic, MemberUpdate


async def update_member(call: Call[MemberUpdate]) -> MemberPublic:
    """Change a member's role; a household always keeps an owner."""
    return await members.update(
        call.session, membership=call.member, user_id=call.path_id("user_id"), data=call.body
    )


function = Function(
    handler=update_member,
    method="PATCH",
    path="/api/households/{household_id:uuid}/members/{user_id:uuid}",
    access=Access.ADMIN,
    tag="members",
    request=MemberUpdate,
    response=MemberPublic,
    errors=(409,),
)
app = function.app()
handler = lambda_handler(app)
