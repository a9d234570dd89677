"""Production token checks: RS256 ID tokens signed with a key of this test, whose certificate a
local server publishes the way Google does (tests/signing.py). firebase-admin is pointed at it
instead of googleapis.com; everything else is as in production."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import time
import uuid
from collections.abc import Callable, Iterator

import httpx
import pytest

from shared import auth
from shared.errors import Unavailable
from shared.settings import Settings, get_settings
from tests.plugin import MakeUser
from tests.signing import KeyServer, certificate, private_key, sign
from tests.utils import assert_problem


@pytest.fixture(autouse=True)
def _restore_emulator_switch(monkeypatch: pytest.MonkeyPatch) -> None:
    """verify_token sets or clears FIREBASE_AUTH_EMULATOR_HOST to match the settings it is given
    (firebase-admin reads only the environment): put the session's value back afterwards."""
    monkeypatch.setenv(auth.EMULATOR_ENV, os.environ[auth.EMULATOR_ENV])


@pytest.fixture
def keys(monkeypatch: pytest.MonkeyPatch) -> Iterator[KeyServer]:
    import firebase_admin._token_gen as token_gen

    # A project of its own: firebase-admin binds the key URL when it first checks for a project.
    with KeyServer(f"chorus-signed-{uuid.uuid4().hex[:8]}") as keys:
        monkeypatch.setattr(token_gen, "ID_TOKEN_CERT_URI", keys.url)
        yield keys


def _signed_only(keys: KeyServer) -> Settings:
    """Settings as in production: the project, no emulator."""
    return Settings(firebase_project_id=keys.project, firebase_auth_emulator_host="")


def test_a_signed_token_is_accepted_and_remembered(keys: KeyServer, monkeypatch: pytest.MonkeyPatch) -> None:
    token = keys.token("alice")
    claims = auth.verify_token(token, _signed_only(keys))
    assert (claims.uid, claims.email) == ("alice", "alice@example.com")
    assert keys.fetches == 1
    assert auth._recall(auth._key(token, _signed_only(keys))) is not None

    def not_again(*args: object) -> None:
        raise AssertionError("a remembered token was checked with firebase-admin again")

    monkeypatch.setattr(auth, "_verify_with_firebase", not_again)
    for _ in range(5):
        assert auth.verify_token(token, _signed_only(keys)) == claims
    assert keys.fetches == 1  # and firebase-admin honoured Google's Cache-Control


FORGERIES: dict[str, Callable[[KeyServer], str]] = {
    "another key, same kid": lambda k: sign(private_key(), k.kid, k.claims("mallory")),
    "unknown kid": lambda k: sign(k.key, "key-9", k.claims("mallory")),
    "another project": lambda k: k.token("mallory", aud="someone-else"),
    "another issuer": lambda k: k.token("mallory", iss="https://securetoken.google.com/x"),
    "no subject": lambda k: k.token("mallory", sub=""),
    "expired": lambda k: k.token("mallory", exp=int(time.time()) - 600),
    "signature stripped": lambda k: k.token("mallory").rsplit(".", 1)[0] + ".",
    "alg none": lambda k: _with_header(k, {"alg": "none", "kid": k.kid}, b""),
    # The public certificate as an HMAC secret: the classic algorithm-confusion forgery.
    "HS256 with the public key": lambda k: _with_header(k, {"alg": "HS256", "kid": k.kid}, None),
}


def _with_header(keys: KeyServer, header: dict[str, str], signature: bytes | None) -> str:
    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    claims = keys.claims("mallory")
    signed = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}"
    if signature is None:
        secret = certificate(keys.key).encode()
        signature = hmac.new(secret, signed.encode(), hashlib.sha256).digest()
    return f"{signed}.{b64(signature)}"


@pytest.mark.parametrize("case", FORGERIES)
def test_bad_signed_tokens_are_refused_and_not_remembered(keys: KeyServer, case: str) -> None:
    token = FORGERIES[case](keys)
    for _ in range(2):  # the second try must be checked again, not recalled
        with pytest.raises(auth.InvalidToken):
            auth.verify_token(token, _signed_only(keys))
    assert auth._recall(auth._key(token, _signed_only(keys))) is None


def test_a_remembered_token_still_expires(keys: KeyServer, monkeypatch: pytest.MonkeyPatch) -> None:
    token = keys.token("bob")
    expires_at = auth.verify_token(token, _signed_only(keys)).expires_at
    assert auth._recall(auth._key(token, _signed_only(keys))) is not None
    later = expires_at + _signed_only(keys).token_clock_skew_seconds + 1
    monkeypatch.setattr("shared.auth.time.time", lambda: float(later))
    with pytest.raises(auth.InvalidToken) as refused:
        auth.verify_token(token, _signed_only(keys))
    assert refused.value.code == "token-expired"
    assert auth._recall(auth._key(token, _signed_only(keys))) is None  # and forgotten


def test_unreachable_keys_are_our_outage_not_the_clients(keys: KeyServer) -> None:
    keys.status = 500
    with pytest.raises(Unavailable):
        auth.verify_token(keys.token("carol"), _signed_only(keys))


def test_an_emulator_token_remembered_in_emulator_mode_is_refused_with_signatures_on(
    make_user: MakeUser,
) -> None:
    user = make_user()
    emulator = get_settings()
    assert emulator.emulator
    assert auth.verify_token(user.id_token, emulator).uid
    assert auth._recall(auth._key(user.id_token, emulator)) is not None
    signed_only = Settings(firebase_project_id=emulator.firebase_project_id, firebase_auth_emulator_host="")
    with pytest.raises(auth.InvalidToken):
        auth.verify_token(user.id_token, signed_only)


@pytest.fixture
def signed_only(keys: KeyServer) -> Iterator[KeyServer]:
    """The process's own settings as in production: this project, no emulator (set empty rather
    than removed, so that a developer's .env cannot put the emulator back)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(auth.EMULATOR_ENV, "")
        patch.setenv("FIREBASE_PROJECT_ID", keys.project)
        get_settings.cache_clear()
        yield keys
    get_settings.cache_clear()


async def test_a_request_with_a_signed_token_is_served(
    client: httpx.AsyncClient, signed_only: KeyServer
) -> None:
    uid = f"signed-{uuid.uuid4().hex[:12]}"
    headers = {"Authorization": f"Bearer {signed_only.token(uid)}"}
    first = await client.get("/api/me", headers=headers)
    assert first.status_code == 200, first.text
    assert first.json()["email"] == f"{uid}@example.com"
    again = await client.get("/api/me", headers=headers)
    assert again.json()["id"] == first.json()["id"]
    forged = sign(private_key(), signed_only.kid, signed_only.claims(uid))
    assert_problem(
        await client.get("/api/me", headers={"Authorization": f"Bearer {forged}"}), 401, "invalid-token"
    )
    assert signed_only.fetches == 1


async def test_unreachable_keys_answer_503(client: httpx.AsyncClient, signed_only: KeyServer) -> None:
    signed_only.status = 500
    response = await client.get("/api/me", headers={"Authorization": f"Bearer {signed_only.token('dave')}"})
    assert_problem(response, 503, "auth-unavailable")
    assert response.headers["retry-after"]
