"""Firebase ID token verification: real signatures in production, the Auth emulator in dev and tests."""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
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

# A browser sends the same ID token with every request for up to an hour. Checking the signature is
# quick, but firebase-admin gets Google's keys through requests + CacheControl on every call: ~300 µs
# of CPU even when cached, plus a worker thread, nearly as much as the rest of a read. So the claims
# of a token that passed are remembered (by the token's SHA-256, per project and emulator setting,
# the most recent REMEMBERED_TOKENS) and its times are checked again on every use; an expired one is
# forgotten, one that failed is never remembered. Like firebase-admin without check_revoked, this
# does not see a revoked token; nor does it see Google withdraw the key a remembered token was
# signed with (keys are published for days, a token lives an hour).
REMEMBERED_TOKENS = 4096
_Key = tuple[str, str, bytes]
_remembered: OrderedDict[_Key, tuple[Claims, int]] = OrderedDict()  # → (claims, issued at)
_remembered_lock = threading.Lock()


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


_apps_lock = threading.Lock()


def _firebase_app(project_id: str) -> firebase_admin.App:
    name = f"chorus-{project_id}"
    with _apps_lock:
        try:
            return firebase_admin.get_app(name)
        except ValueError:  # the first check for this project
            options = {"projectId": project_id}
            return firebase_admin.initialize_app(_NoCredentials(), options=options, name=name)


def _claim_time(raw: dict[str, Any], name: str, default: int = 0) -> int:
    value = raw.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidToken(f"the ID token is not valid: '{name}' is not a time")
    return int(value)


def _claim_text(raw: dict[str, Any], name: str, limit: int) -> str | None:
    value = raw.get(name)
    return value if isinstance(value, str) and 0 < len(value) <= limit else None


def _key(token: str, settings: Settings) -> _Key:
    digest = hashlib.sha256(token.encode()).digest()
    return (settings.firebase_project_id, settings.firebase_auth_emulator_host, digest)


def _recall(key: _Key) -> tuple[Claims, int] | None:
    with _remembered_lock:
        remembered = _remembered.get(key)
        if remembered is not None:
            _remembered.move_to_end(key)
        return remembered


def _remember(key: _Key, remembered: tuple[Claims, int]) -> None:
    with _remembered_lock:
        _remembered[key] = remembered
        while len(_remembered) > REMEMBERED_TOKENS:
            _remembered.popitem(last=False)


def _forget(key: _Key) -> None:
    with _remembered_lock:
        _remembered.pop(key, None)


def _verify_with_firebase(token: str, settings: Settings) -> dict[str, Any]:
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
    return raw


def _claims(raw: dict[str, Any]) -> tuple[Claims, int]:
    """The claims Chorus uses, and when the token was issued."""
    issued_at = _claim_time(raw, "iat")
    claims = Claims(
        uid=raw["uid"],
        email=_claim_text(raw, "email", 320),
        name=_claim_text(raw, "name", 1000),
        auth_time=_claim_time(raw, "auth_time", issued_at),
        expires_at=_claim_time(raw, "exp"),
    )
    return claims, issued_at


def verify_token(token: str, settings: Settings) -> Claims:
    """Verify one ID token; raise InvalidToken with a reason the client can show. May fetch
    Google's keys: off the event loop, call `check_token`."""
    key = _key(token, settings)
    remembered = _recall(key)
    claims, issued_at = remembered or _claims(_verify_with_firebase(token, settings))
    now = time.time()
    skew = settings.token_clock_skew_seconds
    # The SDK does not check times on emulator tokens, nor can it on remembered ones; Chorus does.
    if claims.expires_at < now - skew:
        _forget(key)
        raise InvalidToken("the ID token has expired; refresh it", code="token-expired")
    if issued_at > now + skew or claims.auth_time > now + skew:
        raise InvalidToken("the ID token is not valid: issued in the future")
    # firebase-admin reads the emulator switch from the environment, which a thread verifying with
    # other settings may change meanwhile (only tests have two settings; production never has the
    # emulator). That race can only be noticed afterwards: then the result is not remembered.
    if remembered is None and bool(os.environ.get(EMULATOR_ENV)) == settings.emulator:
        _remember(key, (claims, issued_at))
    return claims


async def check_token(token: str, settings: Settings) -> Claims:
    """`verify_token`, in a worker thread when it may have to fetch Google's keys (a token not
    remembered, outside emulator mode)."""
    if settings.emulator or _recall(_key(token, settings)) is not None:
        return verify_token(token, settings)
    return await anyio.to_thread.run_sync(verify_token, token, settings)


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
    """Verify the request's bearer token."""
    return await check_token(bearer_token(request), get_settings())


def signed_in_recently(claims: Claims, settings: Settings) -> bool:
    """Whether the user typed their credentials within the configured window."""
    return time.time() - claims.auth_time <= settings.recent_sign_in_seconds
