"""Cancel an away period (operation `cancel_away`)."""

from __future__ import annotations

from shared import away
from shared.http import Access, Call, Function, lambda_handler


async def cancel_away(call: Call) -> None:
    """Cancel an away period."""
    await away.delete(call.session, membership=call.member, away_id=call.path_id("away_id"))


function = Function(
    handler=cancel_away,
    method="DELETE",
    path="/api/households/{household_id:uuid}/away/{away_id:uuid}",
    access=Access.MEMBER,
    tag="members",
    status_code=204,
)
app = function.app()
handler = lambda_handler(app)
