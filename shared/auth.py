"""Firebase ID token verification: real signatures in production, the Auth emulator in dev and tests."""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import anyio.to_thread
import firebase_admin
from firebase_admin import auth as firebase_auth
from firebase_admin import credentials
from google.auth.credentials import AnonymousCredentials
from starlette.requests import Request

from shared.errors import Unauthorized, Unavailable
from shared.settings import Settings, get_settings

log = logging.getLogger(__name__)

EMULATOR_ENV = "FIREBASE_AUTH_EMULATOR_HOST"


@dataclass(frozen=True, slots=True)
class Claims:
    """What Chorus uses from a verified ID token."""

    uid: str
    email: str | None
    name: str | None
    auth_time: int
    expires_at: int


class InvalidToken(Unauthorized):
    code = "invalid-token"


class _NoCredentials(credentials.Base):  # type: ignore[misc]
    """Verifying ID tokens takes only the project id and Google's public keys, no service account.

    Without an explicit credential firebase-admin looks for Application Default Credentials,
    which Knative pods do not have, and fails before it checks any token.
    """

    def get_credential(self) -> AnonymousCredentials:
        return AnonymousCredentials()  # type: ignore[no-untyped-call]


@lru_cache(maxsize=4)
def _firebase_app(project_id: str) -> firebase_admin.App:
    return firebase_admin.initialize_app(
        _NoCredentials(), options={"projectId": project_id}, name=f"chorus-{project_id}"
    )


def _claim_time(raw: dict[str, Any], name: str, default: int = 0) -> int:
    value = raw.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidToken(f"the ID token is not valid: '{name}' is not a time")
    return int(value)


def _claim_text(raw: dict[str, Any], name: str, limit: int) -> str | None:
    value = raw.get(name)
    return value if isinstance(value, str) and 0 < len(value) <= limit else None


def verify_token(token: str, settings: Settings) -> Claims:
    """Verify one ID token; raise InvalidToken with a reason the client can show."""
    app = _firebase_app(settings.firebase_project_id)
    # firebase-admin reads the emulator switch from os.environ only, while settings may come from
    # .env. Settings refuse an emulator in production, so production always checks signatures.
    if os.environ.get(EMULATOR_ENV, "") != settings.firebase_auth_emulator_host:
        if settings.emulator:
            os.environ[EMULATOR_ENV] = settings.firebase_auth_emulator_host
        else:
            os.environ.pop(EMULATOR_ENV, None)
    try:
        raw: dict[str, Any] = firebase_auth.verify_id_token(
            token, app=app, clock_skew_seconds=settings.token_clock_skew_seconds
        )
    except firebase_auth.ExpiredIdTokenError as error:
        raise InvalidToken("the ID token has expired; refresh it", code="token-expired") from error
    except (firebase_auth.InvalidIdTokenError, ValueError) as error:
        raise InvalidToken(f"the ID token is not valid: {_first_sentence(error)}") from error
    except firebase_auth.CertificateFetchError as error:
        # Our outage, not the client's fault: a 401 would make the app sign the person out.
        log.warning("could not fetch Firebase signing keys: %s", error)
        raise Unavailable(
            "sign-in cannot be checked right now; try again shortly", code="auth-unavailable"
        ) from error
    now = time.time()
    skew = settings.token_clock_skew_seconds
    expires_at = _claim_time(raw, "exp")
    issued_at = _claim_time(raw, "iat")
    auth_time = _claim_time(raw, "auth_time", issued_at)
    # The SDK does not check times on emulator tokens; Chorus does, so tests see real expiry.
    if expires_at < now - skew:
        raise InvalidToken("the ID token has expired; refresh it", code="token-expired")
    if issued_at > now + skew or auth_time > now + skew:
        raise InvalidToken("the ID token is not valid: issued in the future")
    return Claims(
        uid=raw["uid"],
        email=_claim_text(raw, "email", 320),
        name=_claim_text(raw, "name", 1000),
        auth_time=auth_time,
        expires_at=expires_at,
    )


def _first_sentence(error: Exception) -> str:
    return str(error).split(". ")[0].rstrip(".")


def bearer_token(request: Request) -> str:
    """The token from `Authorization: Bearer …`, or 401."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized("send a Firebase ID token as 'Authorization: Bearer <token>'")
    if len(token) > 8192:
        raise InvalidToken("the ID token is not valid: too long")
    return token


async def authenticate(request: Request) -> Claims:
    """Verify the request's bearer token. Signature checks may fetch keys, so they leave the loop."""
    token = bearer_token(request)
    settings = get_settings()
    if settings.emulator:
        return verify_token(token, settings)
    return await anyio.to_thread.run_sync(verify_token, token, settings)


def signed_in_recently(claims: Claims, settings: Settings) -> bool:
    """Whether the user typed their credentials within the configured window."""
    return time.time() - claims.auth_time <= settings.recent_sign_in_seconds
