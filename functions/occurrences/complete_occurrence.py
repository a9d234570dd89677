"""Mark an occurrence done (operation `complete_occurrence`)."""

from __future__ import annotations

from shared import occurrences
from shared.http import Access, Call, Function, lambda_handler
from shared.schemas import CompletionCreate, CompletionPublic


async def complete_occurrence(call: Call[CompletionCreate]) -> CompletionPublic:
    """Mark an occurrence done; the next one is created at once."""
    return await occurrences.complete(
        call.session,
        membership=call.member,
        occurrence_id=call.path_id("occurrence_id"),
        data=call.body,
        idempotency_key=call.idempotency_key,
    )


function = Function(
    handler=complete_occurrence,
    method="POST",
    path="/api/households/{household_id:uuid}/occurrences/{occurrence_id:uuid}/complete",
    access=Access.MEMBER,
    tag="occurrences",
    request=CompletionCreate,
    response=CompletionPublic,
    errors=(409,),
    idempotent=True,
)
app = function.app()
handler = lambda_handler(app)
