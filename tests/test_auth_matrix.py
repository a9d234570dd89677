"""Every registered operation refuses bad tokens, strangers and under-privileged members.

Generated from the registry: a new function is covered the moment it is registered.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from functions.openapi import openapi_path
from functions.registry import all_functions
from shared.http import Access, Function
from shared.models import Role
from shared.settings import get_settings
from tests.plugin import FirebaseUser, MakeUser, ServedFunction
from tests.utils import add_member, assert_problem, create_household, create_invite, forge_token, me

FUNCTIONS = [fn for fn in all_functions() if fn.access is not Access.PUBLIC]
HOUSEHOLD_FUNCTIONS = [fn for fn in FUNCTIONS if fn.access.household_role is not None]
# Every (operation, role) pair where the role is below what the operation needs.
UNDERPRIVILEGED = [
    (fn, role)
    for fn in HOUSEHOLD_FUNCTIONS
    for role in (Role.CHILD, Role.MEMBER, Role.ADMIN)
    if role.rank < fn.access.household_role.rank  # type: ignore[union-attr]
]


def _url(fn: Function, household_id: str) -> str:
    def fill(match: re.Match[str]) -> str:
        return household_id if match.group(1) == "household_id" else str(uuid.uuid4())

    return re.sub(r"\{(\w+)\}", fill, openapi_path(fn.path))


async def _call(client: httpx.AsyncClient, fn: Function, url: str, headers: dict[str, str]) -> httpx.Response:
    body: dict[str, Any] | None = {} if fn.request else None
    return await client.request(fn.method, url, headers=headers, json=body)


@pytest.fixture
async def setting(client: httpx.AsyncClient, make_user: MakeUser) -> dict[str, Any]:
    owner, stranger = make_user("owner"), make_user("stranger")
    household = await create_household(client, owner, name="Matrix")
    by_role = {}
    for role in (Role.CHILD, Role.MEMBER, Role.ADMIN):
        by_role[role] = make_user(role.value)
        await add_member(client, owner, household["id"], by_role[role], role=role.value)
    await create_household(client, stranger, name="Elsewhere")
    return {
        "owner": owner,
        "member": by_role[Role.MEMBER],
        "by_role": by_role,
        "stranger": stranger,
        "household": household,
    }


def _bad_tokens(user: FirebaseUser) -> dict[str, dict[str, str]]:
    now = int(time.time())
    other = "demo-other-project"
    return {
        "no token": {},
        "not bearer": {"Authorization": f"Basic {user.id_token}"},
        "malformed": {"Authorization": "Bearer not.a.jwt"},
        "garbage": {"Authorization": "Bearer " + "x" * 50},
        "expired": {"Authorization": f"Bearer {forge_token(user.id_token, iat=now - 7200, exp=now - 3600)}"},
        "other project": {
            "Authorization": "Bearer "
            + forge_token(user.id_token, aud=other, iss=f"https://securetoken.google.com/{other}")
        },
        "no subject": {"Authorization": f"Bearer {forge_token(user.id_token, sub='')}"},
    }


@pytest.mark.parametrize("fn", FUNCTIONS, ids=lambda fn: fn.name)
async def test_every_operation_refuses_bad_tokens(
    client: httpx.AsyncClient, setting: dict[str, Any], fn: Function
) -> None:
    url = _url(fn, setting["household"]["id"])
    for case, headers in _bad_tokens(setting["owner"]).items():
        response = await _call(client, fn, url, headers)
        assert response.status_code == 401, f"{fn.name} with {case}: {response.text}"
        assert_problem(response, 401)
        assert response.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize("fn", HOUSEHOLD_FUNCTIONS, ids=lambda fn: fn.name)
async def test_every_household_operation_hides_household_from_strangers(
    client: httpx.AsyncClient, setting: dict[str, Any], fn: Function
) -> None:
    response = await _call(client, fn, _url(fn, setting["household"]["id"]), setting["stranger"].headers())
    assert_problem(response, 404, "household-not-found")


@pytest.mark.parametrize(
    ("fn", "role"), UNDERPRIVILEGED, ids=[f"{fn.name}-as-{role.value}" for fn, role in UNDERPRIVILEGED]
)
async def test_every_operation_refuses_roles_below_its_level(
    client: httpx.AsyncClient, setting: dict[str, Any], fn: Function, role: Role
) -> None:
    caller = setting["by_role"][role]
    response = await _call(client, fn, _url(fn, setting["household"]["id"]), caller.headers())
    assert_problem(response, 403, "role-required")


async def test_refused_calls_change_nothing(client: httpx.AsyncClient, setting: dict[str, Any]) -> None:
    household, owner, member = setting["household"], setting["owner"], setting["member"]
    invite = await create_invite(client, owner, household["id"])
    member_id = (await me(client, member))["id"]

    async def snapshot() -> tuple[Any, ...]:
        base = f"/api/households/{household['id']}"
        return (
            (await client.get(base, headers=owner.headers())).json(),
            (await client.get(f"{base}/members", headers=owner.headers())).json(),
            (await client.get(f"{base}/invites", headers=owner.headers())).json(),
        )

    def url(fn: Function) -> str:
        ids = {"household_id": household["id"], "user_id": member_id, "invite_id": invite["id"]}
        return re.sub(r"\{(\w+)\}", lambda m: ids.get(m.group(1), str(uuid.uuid4())), openapi_path(fn.path))

    body = {"name": "Taken", "role": "owner", "code": invite["code"]}
    before = await snapshot()
    for fn in HOUSEHOLD_FUNCTIONS:
        await client.request(fn.method, url(fn), headers=setting["stranger"].headers(), json=body)
    for fn in FUNCTIONS:
        await client.request(fn.method, url(fn), headers={}, json=body)
    for fn, role in UNDERPRIVILEGED:
        await client.request(fn.method, url(fn), headers=setting["by_role"][role].headers(), json=body)
    assert await snapshot() == before


@pytest.fixture
def without_emulator() -> Iterator[None]:
    """Settings as in production: real signatures required (no network needed to refuse these).
    The switch is set empty rather than removed, so that a developer's .env cannot put it back."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("FIREBASE_AUTH_EMULATOR_HOST", "")
        get_settings.cache_clear()
        yield
    get_settings.cache_clear()


@pytest.mark.parametrize("fn", FUNCTIONS, ids=lambda fn: fn.name)
async def test_every_operation_refuses_unsigned_tokens_outside_emulator_mode(
    client: httpx.AsyncClient, setting: dict[str, Any], fn: Function, without_emulator: None
) -> None:
    owner = setting["owner"]
    # The emulator's own token is unsigned (alg none); outside emulator mode it must not pass.
    response = await _call(client, fn, _url(fn, setting["household"]["id"]), owner.headers())
    body = assert_problem(response, 401, "invalid-token")
    assert "kid" in body["detail"] or "algorithm" in body["detail"]


async def test_production_process_verifies_tokens_without_google_credentials(
    make_user: MakeUser, serve_function: ServedFunction
) -> None:
    """A fresh production process (no emulator, no service account) refuses unsigned tokens
    with 401; it must not fail on missing Application Default Credentials (a 500)."""
    user = make_user()
    served = serve_function(
        "me.get_me",
        env={
            "ENVIRONMENT": "production",
            "FIREBASE_PROJECT_ID": "chorus-prod",
            "FIREBASE_AUTH_EMULATOR_HOST": "",
            "FIREBASE_WEB_API_KEY": "AIzaSyReal",
            "DATABASE_URL": "postgresql+asyncpg://chorus:not-a-default@127.0.0.1:9/chorus",
        },
    )
    prod_token = forge_token(
        user.id_token, aud="chorus-prod", iss="https://securetoken.google.com/chorus-prod"
    )
    async with httpx.AsyncClient(base_url=served.url, timeout=10) as http:
        for headers in ({}, user.headers(), {"Authorization": f"Bearer {prod_token}"}):
            response = await http.get("/api/me", headers=headers)
            assert_problem(response, 401)


@pytest.mark.parametrize(
    ("claims", "case"),
    [
        ({"exp": "soon"}, "exp not a number"),
        ({"exp": None}, "exp null"),
        ({"auth_time": "yesterday"}, "auth_time not a number"),
        ({"iat": True}, "iat boolean"),
    ],
)
async def test_malformed_claims_are_401_not_500(
    client: httpx.AsyncClient, make_user: MakeUser, claims: dict[str, Any], case: str
) -> None:
    user = make_user()
    token = forge_token(user.id_token, **claims)
    response = await client.get("/api/me", headers={"Authorization": f"Bearer {token}"})
    assert_problem(response, 401, "invalid-token")
