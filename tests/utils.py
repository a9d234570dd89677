"""Builders shared by the tests: households, invites, members and hand-made tokens."""

from __future__ import annotations

import asyncio
import base64
import inspect
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

import httpx
import pytest


class HasHeaders(Protocol):
    def headers(self) -> dict[str, str]: ...


async def create_household(
    client: httpx.AsyncClient, owner: HasHeaders, name: str = "Home", timezone: str = "Europe/Berlin"
) -> dict[str, Any]:
    response = await client.post(
        "/api/households", headers=owner.headers(), json={"name": name, "timezone": timezone}
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


async def create_invite(
    client: httpx.AsyncClient, admin: HasHeaders, household_id: str, **body: Any
) -> dict[str, Any]:
    response = await client.post(
        f"/api/households/{household_id}/invites", headers=admin.headers(), json=body
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


async def join(client: httpx.AsyncClient, user: HasHeaders, code: str) -> httpx.Response:
    return await client.post("/api/households/join", headers=user.headers(), json={"code": code})


async def add_member(
    client: httpx.AsyncClient, admin: HasHeaders, household_id: str, user: HasHeaders, role: str = "member"
) -> None:
    invite = await create_invite(client, admin, household_id, role=role)
    response = await join(client, user, invite["code"])
    assert response.status_code == 200, response.text


async def me(client: httpx.AsyncClient, user: HasHeaders) -> dict[str, Any]:
    response = await client.get("/api/me", headers=user.headers())
    assert response.status_code == 200, response.text
    return dict(response.json())


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def token_claims(token: str) -> dict[str, Any]:
    """The payload of a JWT, unverified."""
    payload = token.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))))


def forge_token(real_token: str, **changes: Any) -> str:
    """An unsigned token like the emulator's, with some claims changed (for expiry, audience…)."""
    claims = token_claims(real_token) | changes
    return f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}."


def assert_problem(response: httpx.Response, status: int, code: str | None = None) -> dict[str, Any]:
    """The response is an RFC 9457 problem with this status (and code, if given)."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = dict(response.json())
    assert body["status"] == status
    assert body["title"]
    assert body["detail"]
    if code is not None:
        assert body["type"] == f"/problems/{code}", body
    return body


async def wait_for_lock_waiters() -> None:
    """Return once some database session is waiting for a lock (a request reached its SELECT … FOR UPDATE)."""
    from sqlalchemy import text

    from shared.db import session_scope

    for _ in range(200):
        async with session_scope() as probe:
            waiting = await probe.scalar(
                text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'")
            )
        if waiting:
            return
        await asyncio.sleep(0.025)
    raise AssertionError("no request reached the database lock")


def daily(time: str | None = "07:00", start: str | None = None, **extra: Any) -> dict[str, Any]:
    """A daily schedule starting today (UTC date) unless told otherwise."""
    import datetime as dt

    return {"kind": "daily", "start": start or dt.date.today().isoformat(), "time": time, "every": 1, **extra}


async def create_chore(
    client: httpx.AsyncClient,
    user: HasHeaders,
    household_id: str,
    eligible: list[str],
    **fields: Any,
) -> dict[str, Any]:
    body = {"title": "Dishes", "eligible": eligible, "schedule": daily()} | fields
    response = await client.post(f"/api/households/{household_id}/chores", headers=user.headers(), json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def open_occurrences(
    client: httpx.AsyncClient, user: HasHeaders, household_id: str, chore_id: str
) -> list[dict[str, Any]]:
    response = await client.get(
        f"/api/households/{household_id}/occurrences",
        headers=user.headers(),
        params={"chore_id": chore_id, "status": "open"},
    )
    assert response.status_code == 200, response.text
    return list(response.json()["data"])


async def wait_until(
    check: Callable[[], bool | Awaitable[bool]], seconds: float, what: str, state: Any = None
) -> None:
    """Poll `check` (plain or async) until it holds; fail after `seconds`, showing `state()`."""
    deadline = time.monotonic() + seconds
    while True:
        done = check()
        if inspect.isawaitable(done):
            done = await done
        if done:
            return
        if time.monotonic() > deadline:
            pytest.fail(
                f"timed out after {seconds} s waiting for {what}: {state() if callable(state) else ''}"
            )
        await asyncio.sleep(0.05)
