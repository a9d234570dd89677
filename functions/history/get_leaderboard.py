"""Points and effort per member over the last N days (operation `get_leaderboard`)."""

from __future__ import annotations

from shared import history
from shared.http import Access, Call, Function, lambda_handler
from shared.schemas import Leaderboard, LeaderboardQuery


async def get_leaderboard(call: Call[None, LeaderboardQuery]) -> Leaderboard:
    """Points and effort per member over the last N days."""
    return await history.leaderboard(
        call.session, household_id=call.member.household_id, days=call.query.days
    )


function = Function(
    handler=get_leaderboard,
    method="GET",
    path="/api/households/{household_id:uuid}/leaderboard",
    access=Access.MEMBER,
    tag="history",
    query=LeaderboardQuery,
    response=Leaderboard,
    read_only=True,
)
app = function.app()
handler = lambda_handler(app)
