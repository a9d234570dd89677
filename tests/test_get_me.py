from __future__ import annotations

import httpx

from tests.plugin import FirebaseUser, MakeUser
from tests.utils import assert_problem, me


async def test_get_me_creates_user_on_first_sight(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    user: FirebaseUser = make_user("alice")
    first = await me(client, user)
    assert first["email"] == user.email
    assert first["display_name"] == user.email.split("@")[0]
    assert first["timezone"] == "UTC"
    assert (await me(client, user))["id"] == first["id"]


async def test_update_me_changes_name_and_timezone(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    user = make_user("bob")
    response = await client.patch(
        "/api/me", headers=user.headers(), json={"display_name": "Bob B.", "timezone": "America/New_York"}
    )
    assert response.status_code == 200, response.text
    assert response.json()["display_name"] == "Bob B."
    assert (await me(client, user))["timezone"] == "America/New_York"


async def test_update_me_rejects_unknown_timezone(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    user = make_user()
    before = await me(client, user)
    for bad in ("Mars/Olympus", "../etc/passwd", "localtime", ""):
        response = await client.patch("/api/me", headers=user.headers(), json={"timezone": bad})
        body = assert_problem(response, 422, "validation-failed")
        assert body["errors"][0]["loc"] == ["body", "timezone"]
    assert await me(client, user) == before


async def test_update_me_rejects_unknown_fields_and_blank_names(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    user = make_user()
    assert_problem(await client.patch("/api/me", headers=user.headers(), json={"email": "x@y.z"}), 422)
    for name in ("   ", " Bob", "Bob\t", "", "x" * 81):
        response = await client.patch("/api/me", headers=user.headers(), json={"display_name": name})
        assert_problem(response, 422)
    assert_problem(
        await client.patch("/api/me", headers=user.headers(), json={"display_name": "a\x00b"}), 422
    )
