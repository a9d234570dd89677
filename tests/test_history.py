from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from tests.plugin import FirebaseUser, MakeUser
from tests.utils import add_member, assert_problem, create_chore, create_household, me, open_occurrences


async def _done(
    client: httpx.AsyncClient, user: FirebaseUser, household: dict[str, Any], chore: dict[str, Any]
) -> None:
    [occurrence] = await open_occurrences(client, user, household["id"], chore["id"])
    url = f"/api/households/{household['id']}/occurrences/{occurrence['id']}/complete"
    response = await client.post(url, headers=user.headers(), json={})
    assert response.status_code == 200, response.text


async def test_list_completions_pages_newest_first(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    owner = make_user("owner")
    household = await create_household(client, owner)
    owner_id = (await me(client, owner))["id"]
    chore = await create_chore(client, owner, household["id"], [owner_id], points=2)
    for _ in range(5):
        await _done(client, owner, household, chore)
    base = f"/api/households/{household['id']}/completions"
    first = (await client.get(base, headers=owner.headers(), params={"limit": 3})).json()
    assert len(first["data"]) == 3
    assert first["next"] is not None
    second = (await client.get(base, headers=owner.headers(), params={"limit": 3, **first["next"]})).json()
    assert len(second["data"]) == 2
    assert second["next"] is None
    stamps = [entry["created_at"] for entry in first["data"] + second["data"]]
    assert stamps == sorted(stamps, reverse=True)
    assert len({entry["id"] for entry in first["data"] + second["data"]}) == 5
    assert all(entry["event"] == "done" and entry["points"] == 2 for entry in first["data"])


async def test_get_leaderboard_counts_points_effort_and_undos(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    owner, member = make_user("owner"), make_user("member")
    household = await create_household(client, owner)
    await add_member(client, owner, household["id"], member)
    owner_id, member_id = (await me(client, owner))["id"], (await me(client, member))["id"]
    chore = await create_chore(
        client, owner, household["id"], [owner_id], points=5, effort_minutes=30, strategy="fixed"
    )
    await _done(client, owner, household, chore)
    await _done(client, owner, household, chore)
    board = (
        await client.get(f"/api/households/{household['id']}/leaderboard", headers=member.headers())
    ).json()
    by_user = {entry["user_id"]: entry for entry in board["data"]}
    assert (
        by_user[owner_id]["points"],
        by_user[owner_id]["effort_minutes"],
        by_user[owner_id]["completed"],
    ) == (10, 60, 2)
    assert (by_user[member_id]["points"], by_user[member_id]["completed"]) == (0, 0)
    assert board["data"][0]["user_id"] == owner_id
    assert_problem(
        await client.get(
            f"/api/households/{household['id']}/leaderboard", headers=owner.headers(), params={"days": 0}
        ),
        422,
    )


async def test_set_away_passes_member_over(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    owner, member = make_user("owner"), make_user("member")
    household = await create_household(client, owner, timezone="UTC")
    await add_member(client, owner, household["id"], member)
    owner_id, member_id = (await me(client, owner))["id"], (await me(client, member))["id"]
    today = dt.date.today()
    base = f"/api/households/{household['id']}/away"
    response = await client.post(
        base,
        headers=owner.headers(),
        json={"starts_on": today.isoformat(), "ends_on": (today + dt.timedelta(days=7)).isoformat()},
    )
    assert response.status_code == 201, response.text
    assert response.json()["user_id"] == owner_id
    chore = await create_chore(client, owner, household["id"], [owner_id, member_id], strategy="fixed")
    [occurrence] = await open_occurrences(client, owner, household["id"], chore["id"])
    assert occurrence["assignee_id"] == member_id
    assert "away" in occurrence["assignment_reason"]
    listed = (await client.get(base, headers=member.headers())).json()
    assert listed["count"] == 1
    # Only admins set someone else away; a member cannot cancel the owner's period.
    response = await client.post(
        base,
        headers=member.headers(),
        json={"starts_on": today.isoformat(), "ends_on": today.isoformat(), "user_id": owner_id},
    )
    assert_problem(response, 403, "role-required")
    away_id = listed["data"][0]["id"]
    assert_problem(await client.delete(f"{base}/{away_id}", headers=member.headers()), 403)
    assert (await client.delete(f"{base}/{away_id}", headers=owner.headers())).status_code == 204
    bad = {"starts_on": today.isoformat(), "ends_on": (today - dt.timedelta(days=1)).isoformat()}
    assert_problem(await client.post(base, headers=owner.headers(), json=bad), 422)


async def test_set_away_hands_on_what_is_already_planned(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    owner, member = make_user("owner"), make_user("member")
    household = await create_household(client, owner, timezone="Europe/Berlin")
    await add_member(client, owner, household["id"], member)
    owner_id, member_id = (await me(client, owner))["id"], (await me(client, member))["id"]
    chore = await create_chore(client, owner, household["id"], [owner_id, member_id], strategy="fixed")
    [before] = await open_occurrences(client, owner, household["id"], chore["id"])
    assert before["assignee_id"] == owner_id
    day = dt.datetime.fromisoformat(before["due_at"]).astimezone(ZoneInfo("Europe/Berlin")).date()
    response = await client.post(
        f"/api/households/{household['id']}/away",
        headers=owner.headers(),
        json={"starts_on": day.isoformat(), "ends_on": day.isoformat()},
    )
    assert response.status_code == 201, response.text
    [after] = await open_occurrences(client, owner, household["id"], chore["id"])
    assert after["due_at"] == before["due_at"]
    assert after["assignee_id"] == member_id
    assert "away" in after["assignment_reason"]


async def test_set_away_far_out_dates_are_refused(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    owner = make_user("owner")
    household = await create_household(client, owner, timezone="Europe/Berlin")
    for day in ("9999-12-31", "0001-01-01"):
        response = await client.post(
            f"/api/households/{household['id']}/away",
            headers=owner.headers(),
            json={"starts_on": day, "ends_on": day},
        )
        assert_problem(response, 422)
