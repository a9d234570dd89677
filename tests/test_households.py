from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import event, select
from sqlalchemy import insert as sa_insert
from sqlalchemy.exc import InvalidRequestError

from shared import db
from shared.households import MAX_HOUSEHOLDS_PER_USER
from shared.models import Household, Membership
from tests.plugin import MakeUser
from tests.utils import add_member, assert_problem, create_household, create_invite, forge_token, join, me


async def test_create_household_makes_caller_owner(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    owner = make_user("owner")
    household = await create_household(client, owner, name="Flat 3B", timezone="Europe/Berlin")
    assert household["name"] == "Flat 3B"
    assert household["role"] == "owner"
    assert household["member_count"] == 1
    response = await client.get(f"/api/households/{household['id']}", headers=owner.headers())
    assert response.status_code == 200
    assert response.json() == household


async def test_get_household_counts_members_as_they_join_and_leave(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    owner, member = make_user("owner"), make_user("member")
    household = await create_household(client, owner)
    url = f"/api/households/{household['id']}"
    await add_member(client, owner, household["id"], member)
    assert (await client.get(url, headers=owner.headers())).json()["member_count"] == 2
    assert (await client.get(url, headers=member.headers())).json()["member_count"] == 2
    assert (await client.post(f"{url}/leave", headers=member.headers())).status_code == 204
    assert (await client.get(url, headers=owner.headers())).json()["member_count"] == 1
    listed = await client.get("/api/households", headers=owner.headers())
    assert [h["member_count"] for h in listed.json()["data"]] == [1]


async def test_get_household_is_one_statement(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    """The caller query brings the membership and the household: the read needs nothing more."""
    owner = make_user()
    household = await create_household(client, owner)
    url = f"/api/households/{household['id']}"
    await client.get(url, headers=owner.headers())  # the user row exists from here on
    statements: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    engine = db.get_engine().sync_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        response = await client.get(url, headers=owner.headers())
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert response.status_code == 200
    assert len(statements) == 1, statements
    assert "FROM users LEFT OUTER JOIN memberships" in statements[0]


async def test_member_count_is_loaded_only_where_asked(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    """Reading the count (or a membership's household) that no query loaded raises, never queries."""
    owner = make_user()
    household = await create_household(client, owner)
    async with db.session_scope() as session:
        loaded = await session.get_one(Household, uuid.UUID(household["id"]))
        with pytest.raises(InvalidRequestError):
            _ = loaded.member_count
        membership = await session.scalar(select(Membership).where(Membership.household_id == loaded.id))
        assert membership is not None
        with pytest.raises(InvalidRequestError):
            _ = membership.household


async def test_create_household_rejects_bad_input_and_creates_nothing(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    owner = make_user()
    cases = [
        {"name": ""},
        {"name": "x" * 81},
        {"name": "Home", "timezone": "Not/AZone"},
        {"name": 5},
        {"name": "Home", "unexpected": True},
        [],
    ]
    for body in cases:
        assert_problem(await client.post("/api/households", headers=owner.headers(), json=body), 422)
    listed = await client.get("/api/households", headers=owner.headers())
    assert listed.json() == {"data": [], "count": 0}


async def test_list_households_shows_only_mine_with_my_role(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    alice, bob = make_user("alice"), make_user("bob")
    home = await create_household(client, alice, name="Home")
    await create_household(client, bob, name="Bob's place")
    cabin = await create_household(client, bob, name="Cabin")
    await add_member(client, bob, cabin["id"], alice, role="child")
    response = await client.get("/api/households", headers=alice.headers())
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert [(h["name"], h["role"], h["member_count"]) for h in body["data"]] == [
        ("Cabin", "child", 2),
        ("Home", "owner", 1),
    ]
    assert home["id"] in {h["id"] for h in body["data"]}


async def test_update_household_by_admin(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    owner, admin = make_user("owner"), make_user("admin")
    household = await create_household(client, owner)
    await add_member(client, owner, household["id"], admin, role="admin")
    response = await client.patch(
        f"/api/households/{household['id']}",
        headers=admin.headers(),
        json={"name": "Renamed", "timezone": "Asia/Tokyo"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["name"] == "Renamed"
    assert response.json()["timezone"] == "Asia/Tokyo"
    assert response.json()["role"] == "admin"


async def test_update_household_refuses_plain_member(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    owner, member = make_user("owner"), make_user("member")
    household = await create_household(client, owner, name="Home")
    await add_member(client, owner, household["id"], member)
    response = await client.patch(
        f"/api/households/{household['id']}", headers=member.headers(), json={"name": "Mine now"}
    )
    assert_problem(response, 403, "role-required")
    got = await client.get(f"/api/households/{household['id']}", headers=owner.headers())
    assert got.json()["name"] == "Home"


async def test_get_household_of_another_household_is_404(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    owner, stranger = make_user("owner"), make_user("stranger")
    household = await create_household(client, owner)
    response = await client.get(f"/api/households/{household['id']}", headers=stranger.headers())
    assert_problem(response, 404, "household-not-found")
    missing = await client.get(f"/api/households/{uuid.uuid4()}", headers=owner.headers())
    assert_problem(missing, 404, "household-not-found")
    assert_problem(await client.get("/api/households/not-a-uuid", headers=owner.headers()), 404)


async def test_delete_household_needs_recent_sign_in(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    owner = make_user("owner")
    household = await create_household(client, owner)
    stale = forge_token(owner.id_token, auth_time=int(time.time()) - 600)
    response = await client.delete(
        f"/api/households/{household['id']}", headers={"Authorization": f"Bearer {stale}"}
    )
    assert_problem(response, 403, "recent-sign-in-required")
    still = await client.get(f"/api/households/{household['id']}", headers=owner.headers())
    assert still.status_code == 200

    owner.refresh()
    response = await client.delete(f"/api/households/{household['id']}", headers=owner.headers())
    assert response.status_code == 204, response.text
    gone = await client.get(f"/api/households/{household['id']}", headers=owner.headers())
    assert_problem(gone, 404)


async def test_delete_household_refuses_admin(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    owner, admin = make_user("owner"), make_user("admin")
    household = await create_household(client, owner)
    await add_member(client, owner, household["id"], admin, role="admin")
    response = await client.delete(f"/api/households/{household['id']}", headers=admin.headers())
    assert_problem(response, 403, "role-required")


async def _belong_to_many(client: httpx.AsyncClient, user: Any, count: int) -> None:
    """Make `user` a member of `count` more households, straight in SQL (quicker than the API)."""
    user_id = uuid.UUID((await me(client, user))["id"])
    ids = [uuid.uuid4() for _ in range(count)]
    async with db.session_scope() as session:
        await session.execute(
            sa_insert(Household),
            [{"id": h, "name": f"Many {n}", "timezone": "UTC"} for n, h in enumerate(ids)],
        )
        await session.execute(
            sa_insert(Membership), [{"household_id": h, "user_id": user_id, "role": "member"} for h in ids]
        )
        await session.commit()


async def _households_of(client: httpx.AsyncClient, user: Any) -> int:
    response = await client.get("/api/households", headers=user.headers())
    assert response.status_code == 200, response.text
    return int(response.json()["count"])


async def test_one_person_belongs_to_at_most_the_limit_of_households(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    """Every household a person belongs to is in the relay's sign-in message; past the limit,
    creating or joining one more is a 409 that changes nothing, and leaving one makes room."""
    busy, host = make_user("busy"), make_user("host")
    await _belong_to_many(client, busy, MAX_HOUSEHOLDS_PER_USER - 1)
    await create_household(client, busy, name="The last one")
    assert await _households_of(client, busy) == MAX_HOUSEHOLDS_PER_USER

    refused = await client.post("/api/households", headers=busy.headers(), json={"name": "One more"})
    assert_problem(refused, 409, "too-many-households")
    elsewhere = await create_household(client, host)
    invite = await create_invite(client, host, elsewhere["id"])
    assert_problem(await join(client, busy, invite["code"]), 409, "too-many-households")
    assert await _households_of(client, busy) == MAX_HOUSEHOLDS_PER_USER
    invites = await client.get(f"/api/households/{elsewhere['id']}/invites", headers=host.headers())
    assert [i["uses"] for i in invites.json()["data"]] == [0]

    listed = (await client.get("/api/households", headers=busy.headers())).json()["data"]
    one = next(h for h in listed if h["role"] == "member")
    left = await client.post(f"/api/households/{one['id']}/leave", headers=busy.headers())
    assert left.status_code == 204, left.text
    assert (await join(client, busy, invite["code"])).status_code == 200


async def test_two_creates_at_once_cannot_both_pass_the_limit(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    busy = make_user("busy")
    await _belong_to_many(client, busy, MAX_HOUSEHOLDS_PER_USER - 1)
    answers = await asyncio.gather(
        *(
            client.post("/api/households", headers=busy.headers(), json={"name": f"Race {n}"})
            for n in range(4)
        )
    )
    assert sorted(a.status_code for a in answers) == [201, 409, 409, 409], [a.text for a in answers]
    assert await _households_of(client, busy) == MAX_HOUSEHOLDS_PER_USER
