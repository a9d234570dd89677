"""The web app's sign-in settings (operation `get_client_config`)."""

from __future__ import annotations

from shared.http import Access, Call, Function, lambda_handler
from shared.schemas import ClientConfigPublic
from shared.settings import get_settings


async def get_client_config(call: Call) -> ClientConfigPublic:
    """The Firebase project the web app signs in to, and the emulator's address outside production."""
    settings = get_settings()
    emulator = None
    if settings.emulator:
        emulator = settings.firebase_auth_emulator_url or f"http://{settings.firebase_auth_emulator_host}"
    return ClientConfigPublic(
        firebase_api_key=settings.firebase_web_api_key,
        firebase_auth_domain=settings.firebase_auth_domain
        or f"{settings.firebase_project_id}.firebaseapp.com",
        firebase_project_id=settings.firebase_project_id,
        auth_emulator_url=emulator,
        google_sign_in=settings.google_sign_in,
    )


function = Function(
    handler=get_client_config,
    method="GET",
    path="/api/client-config",
    access=Access.PUBLIC,
    tag="client",
    response=ClientConfigPublic,
    read_only=True,
)
app = function.app()
handler = lambda_handler(app)
