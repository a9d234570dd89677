"""Skip an occurrence (operation `skip_occurrence`)."""

from __future__ import annotations

from shared import occurrences
from shared.http import Access, Call, Function, lambda_handler
from shared.schemas import CompletionPublic


async def skip_occurrence(call: Call) -> CompletionPublic:
    """Skip an occurrence; the next one is created at once."""
    return await occurrences.skip(
        call.session, membership=call.member, occurrence_id=call.path_id("occurrence_id")
    )


function = Function(
    handler=skip_occurrence,
    method="POST",
    path="/api/households/{household_id:uuid}/occurrences/{occurrence_id:uuid}/skip",
    access=Access.MEMBER,
    tag="occurrences",
    response=CompletionPublic,
    errors=(409,),
)
app = function.app()
handler = lambda_handler(app)
