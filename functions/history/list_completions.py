"""History of completions, skips and undos, newest first, a page at a time (operation `list_completions`)."""

from __future__ import annotations

from shared import history
from shared.http import Access, Call, Function, lambda_handler
from shared.schemas import HistoryPage, HistoryQuery


async def list_completions(call: Call[None, HistoryQuery]) -> HistoryPage:
    """History of completions, skips and undos, newest first, a page at a time."""
    return await history.list_for_household(
        call.session, household_id=call.member.household_id, query=call.query
    )


function = Function(
    handler=list_completions,
    method="GET",
    path="/api/households/{household_id:uuid}/completions",
    access=Access.MEMBER,
    tag="history",
    query=HistoryQuery,
    response=HistoryPage,
    read_only=True,
)
app = function.app()
handler = lambda_handler(app)
