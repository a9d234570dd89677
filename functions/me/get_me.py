"""Your profile (operation `get_me`)."""

from __future__ import annotations

from shared import users
from shared.http import Access, Call, Function, lambda_handler
from shared.schemas import UserPublic


async def get_me(call: Call) -> UserPublic:
    """Your profile."""
    return users.to_public(call.user)


function = Function(
    handler=get_me,
    method="GET",
    path="/api/me",
    access=Access.USER,
    tag="me",
    response=UserPublic,
    read_only=True,
)
app = function.app()
handler = lambda_handler(app)
