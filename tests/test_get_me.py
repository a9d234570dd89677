from __future__ import annotations

import httpx

from tests.plugin import FirebaseUser, MakeUser
from tests.utils import assert_problem, forge_token, me


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


async def test_get_me_cleans_display_name_from_token(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    """The token's name claim comes from the user's Firebase profile: never trusted as is."""
    user = make_user()
    fresh_uid = f"{user.uid}-x"
    token = forge_token(
        user.id_token, sub=fresh_uid, user_id=fresh_uid, name="  Bob\x00\u202e  the\tBuilder "
    )
    response = await client.get("/api/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    assert response.json()["display_name"] == "Bob the Builder"

    junk = forge_token(
        user.id_token, sub=f"{user.uid}-y", user_id=f"{user.uid}-y", name="\u200b\x01", email=5
    )
    response = await client.get("/api/me", headers={"Authorization": f"Bearer {junk}"})
    assert response.status_code == 200, response.text
    assert response.json()["display_name"] == "Member"
    assert response.json()["email"] is None
