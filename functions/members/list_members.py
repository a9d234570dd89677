"""The members of a household and their roles (operation `list_members`)."""

from __future__ import annotations

from shared import members
from shared.http import Access, Call, Function, lambda_handler
from shared.schemas import MembersPublic


async def list_members(call: Call) -> MembersPublic:
    """The members of a household and their roles."""
    return await members.list_for_household(call.session, household_id=call.member.household_id)


function = Function(
    handler=list_members,
    method="GET",
    path="/api/households/{household_id:uuid}/members",
    access=Access.MEMBER,
    tag="members",
    response=MembersPublic,
    read_only=True,
)
app = function.app()
handler = lambda_handler(app)
