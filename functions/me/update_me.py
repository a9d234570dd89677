"""Change your display name or time zone (operation `update_me`)."""

from __future__ import annotations

from shared import users
from shared.http import Access, Call, Function, lambda_handler
from shared.schemas import UserPublic, UserUpdate


async def update_me(call: Call[UserUpdate]) -> UserPublic:
    """Change your display name or time zone."""
    return await users.update(call.session, user=call.user, data=call.body)


function = Function(
    handler=update_me,
    method="PATCH",
    path="/api/me",
    access=Access.USER,
    tag="me",
    request=UserUpdate,
    response=UserPublic,
)
app = function.app()
handler = lambda_handler(app)
