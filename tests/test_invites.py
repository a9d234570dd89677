from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from shared.db import session_scope
from tests.plugin import MakeUser
from tests.utils import assert_problem, create_household, create_invite, join


async def _sql(statement: str, **params: Any) -> None:
    async with session_scope() as session:
        await session.execute(text(statement), params)
        await session.commit()


async def test_create_invite_defaults(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    owner = make_user()
    household = await create_household(client, owner)
    invite = await create_invite(client, owner, household["id"])
    assert invite["status"] == "active"
    assert invite["role"] == "member"
    assert invite["max_uses"] == 1
    assert invite["uses_left"] == 1
    assert len(invite["code"]) == 11
    assert invite["code"][5] == "-"
    assert invite["link"].endswith(f"/join/{invite['code']}")


async def test_create_invite_codes_are_unique(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    owner = make_user()
    household = await create_household(client, owner)
    codes = {(await create_invite(client, owner, household["id"]))["code"] for _ in range(20)}
    assert len(codes) == 20


async def test_create_invite_rejects_bad_input(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    owner = make_user()
    household = await create_household(client, owner)
    url = f"/api/households/{household['id']}/invites"
    for body in ({"role": "owner"}, {"max_uses": 0}, {"expires_in_hours": 10_000}, {"max_uses": "many"}):
        assert_problem(await client.post(url, headers=owner.headers(), json=body), 422)
    listed = await client.get(url, headers=owner.headers())
    assert listed.json()["count"] == 0


async def test_join_household_is_case_insensitive_and_forgiving(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    owner, friend = make_user("owner"), make_user("friend")
    household = await create_household(client, owner)
    invite = await create_invite(client, owner, household["id"], role="child")
    typed = f"  {invite['code'].lower().replace('-', ' ')} "
    response = await join(client, friend, typed)
    assert response.status_code == 200, response.text
    assert response.json()["id"] == household["id"]
    assert response.json()["role"] == "child"
    listed = await client.get(f"/api/households/{household['id']}/invites", headers=owner.headers())
    assert listed.json()["data"][0]["status"] == "used_up"


async def test_join_household_explains_unusable_codes(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    owner, a, b = make_user("owner"), make_user("a"), make_user("b")
    household = await create_household(client, owner)
    used = await create_invite(client, owner, household["id"])
    assert (await join(client, a, used["code"])).status_code == 200
    assert_problem(await join(client, b, used["code"]), 410, "invite-used-up")
    assert_problem(await join(client, a, used["code"]), 409, "already-member")

    revoked = await create_invite(client, owner, household["id"])
    url = f"/api/households/{household['id']}/invites/{revoked['id']}"
    assert (await client.delete(url, headers=owner.headers())).status_code == 204
    assert (await client.delete(url, headers=owner.headers())).status_code == 204
    assert_problem(await join(client, b, revoked["code"]), 410, "invite-revoked")

    expired = await create_invite(client, owner, household["id"])
    await _sql("UPDATE invites SET expires_at = now() - interval '1 minute' WHERE id = :id", id=expired["id"])
    assert_problem(await join(client, b, expired["code"]), 410, "invite-expired")

    statuses = await client.get(f"/api/households/{household['id']}/invites", headers=owner.headers())
    assert sorted(i["status"] for i in statuses.json()["data"]) == ["expired", "revoked", "used_up"]
    members = await client.get(f"/api/households/{household['id']}/members", headers=owner.headers())
    assert members.json()["count"] == 2


async def test_join_household_already_member_keeps_the_use(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    owner = make_user("owner")
    household = await create_household(client, owner)
    invite = await create_invite(client, owner, household["id"], max_uses=2)
    assert_problem(await join(client, owner, invite["code"]), 409, "already-member")
    listed = await client.get(f"/api/households/{household['id']}/invites", headers=owner.headers())
    assert listed.json()["data"][0]["uses"] == 0


async def test_join_household_single_use_code_admits_exactly_one(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    owner = make_user("owner")
    racers = [make_user(f"racer{i}") for i in range(4)]
    household = await create_household(client, owner)
    invite = await create_invite(client, owner, household["id"])
    for racer in racers:  # users exist before the race, so only the join itself competes
        assert (await client.get("/api/me", headers=racer.headers())).status_code == 200
    responses = await asyncio.gather(*(join(client, racer, invite["code"]) for racer in racers))
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200, 410, 410, 410], [r.text for r in responses]
    members = await client.get(f"/api/households/{household['id']}/members", headers=owner.headers())
    assert members.json()["count"] == 2


async def test_join_household_wrong_codes_are_slowed_down(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    owner, guesser = make_user("owner"), make_user("guesser")
    household = await create_household(client, owner)
    invite = await create_invite(client, owner, household["id"])
    for guess in ("AAAAA-AAAAA", "BBBBB-BBBBB", "nonsense", "CCCCC-CCCCC", "DDDDD-DDDDD"):
        assert_problem(await join(client, guesser, guess), 404, "invite-not-found")
    locked = await join(client, guesser, invite["code"])
    body = assert_problem(locked, 429, "join-locked")
    assert 1 <= int(locked.headers["retry-after"]) <= 31, body
    # Even the right code waits out the lockout; afterwards it works and the count resets.
    await _sql(
        "UPDATE join_throttles SET locked_until = now() - interval '1 second' "
        "WHERE user_id = (SELECT id FROM users WHERE firebase_uid = :uid)",
        uid=guesser.uid,
    )
    assert (await join(client, guesser, invite["code"])).status_code == 200


@pytest.mark.parametrize("body", [{}, {"code": ""}, {"code": "x" * 33}, {"code": 123456}])
async def test_join_household_rejects_bad_input(
    client: httpx.AsyncClient, make_user: MakeUser, body: dict[str, Any]
) -> None:
    user = make_user()
    response = await client.post("/api/households/join", headers=user.headers(), json=body)
    assert_problem(response, 422, "validation-failed")


async def test_revoke_invite_of_other_household_is_404(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    a, b = make_user("a"), make_user("b")
    mine = await create_household(client, a)
    theirs = await create_household(client, b)
    invite = await create_invite(client, b, theirs["id"])
    response = await client.delete(
        f"/api/households/{mine['id']}/invites/{invite['id']}", headers=a.headers()
    )
    assert_problem(response, 404, "invite-not-found")
    assert (await join(client, a, invite["code"])).status_code == 200


async def test_join_household_success_does_not_reset_wrong_code_count(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    owner, guesser = make_user("owner"), make_user("guesser")
    household = await create_household(client, owner)
    invite = await create_invite(client, owner, household["id"], max_uses=10)
    for guess in ("AAAAA-AAAAA", "BBBBB-BBBBB", "CCCCC-CCCCC", "DDDDD-DDDDD"):
        assert_problem(await join(client, guesser, guess), 404)
    assert (await join(client, guesser, invite["code"])).status_code == 200
    assert (
        await client.post(f"/api/households/{household['id']}/leave", headers=guesser.headers())
    ).status_code == 204
    assert_problem(await join(client, guesser, "EEEEE-EEEEE"), 404)  # the fifth wrong code
    assert_problem(await join(client, guesser, invite["code"]), 429, "join-locked")


async def test_join_household_parallel_guesses_wait_their_turn(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    guesser = make_user("guesser")
    await client.get("/api/me", headers=guesser.headers())
    guesses = [f"{i:05d}-ZZZZZ" for i in range(12)]
    responses = await asyncio.gather(*(join(client, guesser, guess) for guess in guesses))
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [404] * 5 + [429] * 7, [r.text for r in responses]


async def test_join_household_lockout_is_capped_after_many_failures(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    guesser = make_user("guesser")
    await client.get("/api/me", headers=guesser.headers())
    await _sql(
        "INSERT INTO join_throttles (user_id, failures, last_failure_at) "
        "SELECT id, 5000, now() FROM users WHERE firebase_uid = :uid",
        uid=guesser.uid,
    )
    assert_problem(await join(client, guesser, "AAAAA-AAAAA"), 404)
    locked = await join(client, guesser, "AAAAA-AAAAA")
    assert_problem(locked, 429, "join-locked")
    assert 3500 <= int(locked.headers["retry-after"]) <= 3601
