"""Archive a chore: it keeps its history and is no longer scheduled (operation `archive_chore`)."""

from __future__ import annotations

from shared import chores
from shared.http import Access, Call, Function, lambda_handler


async def archive_chore(call: Call) -> None:
    """Archive a chore: it keeps its history and is no longer scheduled."""
    await chores.archive(call.session, membership=call.member, chore_id=call.path_id("chore_id"))


function = Function(
    handler=archive_chore,
    method="POST",
    path="/api/households/{household_id:uuid}/chores/{chore_id:uuid}/archive",
    access=Access.ADULT,
    tag="chores",
    status_code=204,
)
app = function.app()
handler = lambda_handler(app)
