from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import text

from shared.db import session_scope
from tests.plugin import FirebaseUser, MakeUser
from tests.utils import (
    add_member,
    assert_problem,
    create_chore,
    create_household,
    me,
    open_occurrences,
)


async def _setup(
    client: httpx.AsyncClient, make_user: MakeUser, **chore_fields: Any
) -> tuple[FirebaseUser, FirebaseUser, dict[str, Any], list[str], dict[str, Any]]:
    owner, member = make_user("owner"), make_user("member")
    household = await create_household(client, owner, timezone="Europe/Berlin")
    await add_member(client, owner, household["id"], member)
    ids = [(await me(client, owner))["id"], (await me(client, member))["id"]]
    chore = await create_chore(
        client, owner, household["id"], ids, points=3, effort_minutes=20, **chore_fields
    )
    return owner, member, household, ids, chore


def _url(household: dict[str, Any], occurrence: dict[str, Any], action: str) -> str:
    return f"/api/households/{household['id']}/occurrences/{occurrence['id']}/{action}"


async def _history(chore_id: str) -> list[tuple[str, int]]:
    async with session_scope() as session:
        rows = await session.execute(
            text("SELECT event, points FROM history WHERE chore_id = :c ORDER BY created_at, id"),
            {"c": chore_id},
        )
        return [(event, points) for event, points in rows]


async def test_complete_occurrence_credits_points_and_rotates(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    owner, member, household, ids, chore = await _setup(client, make_user)
    [first] = await open_occurrences(client, owner, household["id"], chore["id"])
    response = await client.post(
        _url(household, first, "complete"), headers=owner.headers(), json={"note": "shiny"}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["occurrence"]["status"] == "done"
    assert body["occurrence"]["completed_by"] == ids[0]
    [following] = body["next"]
    assert following["due_at"] > first["due_at"]
    assert following["assignee_id"] == ids[1]
    assert following["assignment_reason"].startswith("round robin:")
    assert await _history(chore["id"]) == [("done", 3)]
    again = await client.post(_url(household, first, "complete"), headers=member.headers(), json={})
    assert_problem(again, 409, "occurrence-not-open")


async def test_complete_occurrence_idempotency_key_replays(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    owner, _, household, _, chore = await _setup(client, make_user)
    [first] = await open_occurrences(client, owner, household["id"], chore["id"])
    headers = owner.headers() | {"Idempotency-Key": "tap-1"}
    one = await client.post(_url(household, first, "complete"), headers=headers, json={})
    two = await client.post(_url(household, first, "complete"), headers=headers, json={})
    assert one.status_code == two.status_code == 200
    assert one.json()["history_id"] == two.json()["history_id"]
    assert [o["id"] for o in one.json()["next"]] == [o["id"] for o in two.json()["next"]]
    assert await _history(chore["id"]) == [("done", 3)]


async def test_complete_occurrence_concurrent_calls_complete_once(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    owner, member, household, _, chore = await _setup(client, make_user)
    [first] = await open_occurrences(client, owner, household["id"], chore["id"])
    callers = [owner, member] * 10
    responses = await asyncio.gather(
        *(client.post(_url(household, first, "complete"), headers=who.headers(), json={}) for who in callers)
    )
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] + [409] * 19, [r.text for r in responses if r.status_code not in (200, 409)]
    assert await _history(chore["id"]) == [("done", 3)]
    assert len(await open_occurrences(client, owner, household["id"], chore["id"])) == 1


async def test_undo_completion_reverses_points_and_reopens(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    owner, member, household, _, chore = await _setup(client, make_user)
    [first] = await open_occurrences(client, owner, household["id"], chore["id"])
    await client.post(_url(household, first, "complete"), headers=owner.headers(), json={})
    assert_problem(
        await client.post(_url(household, first, "undo"), headers=member.headers()), 403, "not-yours"
    )
    response = await client.post(_url(household, first, "undo"), headers=owner.headers())
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "open"
    assert await _history(chore["id"]) == [("done", 3), ("undone", -3)]
    assert_problem(
        await client.post(_url(household, first, "undo"), headers=owner.headers()), 409, "not-completed"
    )
    # Completing again works and does not create a second "next" occurrence.
    assert (
        await client.post(_url(household, first, "complete"), headers=owner.headers(), json={})
    ).status_code == 200
    assert len(await open_occurrences(client, owner, household["id"], chore["id"])) == 1


async def test_undo_completion_window_is_limited(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    owner, _, household, _, chore = await _setup(client, make_user)
    [first] = await open_occurrences(client, owner, household["id"], chore["id"])
    await client.post(_url(household, first, "complete"), headers=owner.headers(), json={})
    async with session_scope() as session:
        await session.execute(
            text("UPDATE history SET created_at = now() - interval '25 hours' WHERE occurrence_id = :o"),
            {"o": first["id"]},
        )
        await session.commit()
    assert_problem(
        await client.post(_url(household, first, "undo"), headers=owner.headers()), 410, "undo-window-passed"
    )


async def test_skip_occurrence_creates_next_without_points(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    owner, member, household, _, chore = await _setup(client, make_user)
    [first] = await open_occurrences(client, owner, household["id"], chore["id"])
    assert_problem(
        await client.post(_url(household, first, "skip"), headers=member.headers()), 403, "not-yours"
    )
    response = await client.post(_url(household, first, "skip"), headers=owner.headers())
    assert response.status_code == 200, response.text
    assert response.json()["occurrence"]["status"] == "skipped"
    assert len(response.json()["next"]) == 1
    assert await _history(chore["id"]) == [("skipped", 0)]


async def test_reassign_and_reschedule_occurrence(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    owner, member, household, ids, chore = await _setup(client, make_user)
    [first] = await open_occurrences(client, owner, household["id"], chore["id"])
    response = await client.post(
        _url(household, first, "reassign"), headers=owner.headers(), json={"assignee_id": ids[1]}
    )
    assert response.status_code == 200, response.text
    assert response.json()["assignee_id"] == ids[1]
    assert "reassigned by" in response.json()["assignment_reason"]
    stranger = make_user("stranger")
    stranger_id = (await me(client, stranger))["id"]
    response = await client.post(
        _url(household, first, "reassign"), headers=owner.headers(), json={"assignee_id": stranger_id}
    )
    assert_problem(response, 409, "not-a-member")
    new_due = (dt.datetime.fromisoformat(first["due_at"]) + dt.timedelta(hours=3)).isoformat()
    response = await client.post(
        _url(household, first, "reschedule"), headers=member.headers(), json={"due_at": new_due}
    )
    assert response.status_code == 200, response.text
    assert dt.datetime.fromisoformat(response.json()["due_at"]) == dt.datetime.fromisoformat(new_due)
    naive = await client.post(
        _url(household, first, "reschedule"), headers=member.headers(), json={"due_at": "2027-01-01T10:00:00"}
    )
    assert_problem(naive, 422)


async def test_claim_occurrence_in_pool(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    owner, member, household, ids, chore = await _setup(client, make_user, mode="pool")
    [first] = await open_occurrences(client, owner, household["id"], chore["id"])
    assert first["assignee_id"] is None
    response = await client.post(_url(household, first, "claim"), headers=member.headers())
    assert response.status_code == 200, response.text
    assert response.json()["assignee_id"] == ids[1]
    assert_problem(
        await client.post(_url(household, first, "claim"), headers=owner.headers()), 409, "already-claimed"
    )


async def test_each_of_gives_everyone_their_own(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    owner, member, household, ids, chore = await _setup(client, make_user, mode="each_of")
    mine = await open_occurrences(client, owner, household["id"], chore["id"])
    assert sorted(o["assignee_id"] for o in mine) == sorted(ids)
    members_own = next(o for o in mine if o["assignee_id"] == ids[1])
    assert_problem(
        await client.post(_url(household, members_own, "complete"), headers=owner.headers(), json={}), 403
    )
    response = await client.post(_url(household, members_own, "complete"), headers=member.headers(), json={})
    assert response.status_code == 200, response.text
    assert [o["assignee_id"] for o in response.json()["next"]] == [ids[1]]


async def test_list_occurrences_filters(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    owner, member, household, _, chore = await _setup(client, make_user)
    base = f"/api/households/{household['id']}/occurrences"
    [first] = await open_occurrences(client, owner, household["id"], chore["id"])
    assert (await client.get(base, headers=member.headers(), params={"mine": "true"})).json()["count"] == 0
    assert (await client.get(base, headers=owner.headers(), params={"mine": "true"})).json()["count"] == 1
    await client.post(_url(household, first, "complete"), headers=owner.headers(), json={})
    done = (await client.get(base, headers=owner.headers(), params={"status": "done"})).json()
    assert [o["id"] for o in done["data"]] == [first["id"]]
    both = (
        await client.get(base, headers=owner.headers(), params=[("status", "done"), ("status", "open")])
    ).json()
    assert both["count"] == 2
    before = (await client.get(base, headers=owner.headers(), params={"due_before": first["due_at"]})).json()
    assert [o["id"] for o in before["data"]] == [first["id"]]
    assert_problem(await client.get(base, headers=owner.headers(), params={"status": "lost"}), 422)


async def test_remove_member_hands_their_occurrences_on(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    owner, _, household, ids, chore = await _setup(client, make_user, strategy="fixed")
    third = make_user("third")
    await add_member(client, owner, household["id"], third)
    third_id = (await me(client, third))["id"]
    response = await client.patch(
        f"/api/households/{household['id']}/chores/{chore['id']}",
        headers=owner.headers(),
        json={"eligible": [ids[1], third_id]},
    )
    assert response.status_code == 200
    [before] = await open_occurrences(client, owner, household["id"], chore["id"])
    assert before["assignee_id"] == ids[1]
    each = await create_chore(client, owner, household["id"], [ids[0], ids[1]], title="Beds", mode="each_of")
    removed = await client.delete(
        f"/api/households/{household['id']}/members/{ids[1]}", headers=owner.headers()
    )
    assert removed.status_code == 204
    [after] = await open_occurrences(client, owner, household["id"], chore["id"])
    assert after["due_at"] == before["due_at"]
    assert after["assignee_id"] == third_id
    assert [o["assignee_id"] for o in await open_occurrences(client, owner, household["id"], each["id"])] == [
        ids[0]
    ]
    got = (
        await client.get(f"/api/households/{household['id']}/chores/{chore['id']}", headers=owner.headers())
    ).json()
    assert [m["user_id"] for m in got["eligible"]] == [third_id]


async def test_complete_occurrence_keys_never_cause_server_errors(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    owner, _, household, _, chore = await _setup(client, make_user)
    [first] = await open_occurrences(client, owner, household["id"], chore["id"])
    url = _url(household, first, "complete")
    same = await asyncio.gather(
        *(client.post(url, headers=owner.headers() | {"Idempotency-Key": "k1"}, json={}) for _ in range(8))
    )
    assert {r.status_code for r in same} <= {200, 409}, [r.text for r in same]
    assert len({r.json()["history_id"] for r in same if r.status_code == 200}) == 1
    other_key = await client.post(url, headers=owner.headers() | {"Idempotency-Key": "k2"}, json={})
    assert_problem(other_key, 409, "occurrence-not-open")
    [second] = await open_occurrences(client, owner, household["id"], chore["id"])
    reused = await client.post(
        _url(household, second, "complete"), headers=owner.headers() | {"Idempotency-Key": "k1"}, json={}
    )
    assert_problem(reused, 409, "idempotency-key-reused")
    assert await _history(chore["id"]) == [("done", 3)]


async def test_undo_completion_concurrently_reverses_once(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    owner, _, household, _, chore = await _setup(client, make_user)
    [first] = await open_occurrences(client, owner, household["id"], chore["id"])
    await client.post(_url(household, first, "complete"), headers=owner.headers(), json={})
    undos = await asyncio.gather(
        *(client.post(_url(household, first, "undo"), headers=owner.headers()) for _ in range(5))
    )
    assert sorted(r.status_code for r in undos) == [200, 409, 409, 409, 409]
    assert await _history(chore["id"]) == [("done", 3), ("undone", -3)]
    # The occurrence the completion created went with the undo: only the reopened one is open.
    assert [o["id"] for o in await open_occurrences(client, owner, household["id"], chore["id"])] == [
        first["id"]
    ]


async def test_after_completion_chore_counts_from_the_completion(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    today = dt.date.today().isoformat()
    schedule = {"kind": "after_completion", "every": 3, "unit": "days", "start": today, "time": "00:01"}
    owner, _, household, _, chore = await _setup(client, make_user, schedule=schedule)
    assert chore["next_due_at"] is not None
    [first] = await open_occurrences(client, owner, household["id"], chore["id"])
    done = await client.post(_url(household, first, "complete"), headers=owner.headers(), json={})
    [following] = done.json()["next"]
    completed_local = dt.datetime.fromisoformat(done.json()["occurrence"]["completed_at"]).astimezone(
        ZoneInfo("Europe/Berlin")
    )
    due_local = dt.datetime.fromisoformat(following["due_at"]).astimezone(ZoneInfo("Europe/Berlin"))
    assert due_local.date() == completed_local.date() + dt.timedelta(days=3)
    assert (due_local.hour, due_local.minute) == (0, 1)
    # A recompute keeps counting from that completion.
    response = await client.patch(
        f"/api/households/{household['id']}/chores/{chore['id']}",
        headers=owner.headers(),
        json={"strategy": "fixed"},
    )
    assert response.status_code == 200, response.text
    [again] = await open_occurrences(client, owner, household["id"], chore["id"])
    assert again["due_at"] == following["due_at"]


async def test_list_occurrences_and_reschedule_far_out_times(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    owner, _, household, _, chore = await _setup(client, make_user)
    base = f"/api/households/{household['id']}/occurrences"
    wide = await client.get(
        base,
        headers=owner.headers(),
        params={"due_after": "0001-01-01T00:00:00+05:00", "due_before": "9999-12-31T23:00:00-05:00"},
    )
    assert wide.status_code == 200, wide.text
    assert wide.json()["count"] == 1
    [first] = await open_occurrences(client, owner, household["id"], chore["id"])
    far = await client.post(
        _url(household, first, "reschedule"), headers=owner.headers(), json={"due_at": "9999-12-31T12:00:00Z"}
    )
    assert_problem(far, 422)


async def _rotation_at_ben(
    client: httpx.AsyncClient, make_user: MakeUser
) -> tuple[list[FirebaseUser], dict[str, Any], list[str], dict[str, Any]]:
    """Anna, Ben and Cleo share a round-robin chore; Anna has done hers, so Ben's turn is open."""
    anna, ben, cleo = people = [make_user("anna"), make_user("ben"), make_user("cleo")]
    household = await create_household(client, anna, timezone="Europe/Berlin")
    for person in (ben, cleo):
        await add_member(client, anna, household["id"], person)
    ids = [(await me(client, person))["id"] for person in people]
    chore = await create_chore(client, anna, household["id"], ids, strategy="round_robin")
    [first] = await open_occurrences(client, anna, household["id"], chore["id"])
    assert first["assignee_id"] == ids[0]
    url = f"/api/households/{household['id']}/occurrences/{first['id']}/complete"
    done = await client.post(url, headers=anna.headers(), json={})
    assert done.status_code == 200, done.text
    [turn] = await open_occurrences(client, anna, household["id"], chore["id"])
    assert turn["assignee_id"] == ids[1]
    return people, household, ids, turn


async def test_a_turn_handed_on_by_an_away_member_goes_to_the_next_in_the_rotation(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    (anna, ben, _), household, ids, turn = await _rotation_at_ben(client, make_user)
    day = dt.datetime.fromisoformat(turn["due_at"]).astimezone(ZoneInfo("Europe/Berlin")).date()
    away = await client.post(
        f"/api/households/{household['id']}/away",
        headers=ben.headers(),
        json={"starts_on": day.isoformat(), "ends_on": day.isoformat()},
    )
    assert away.status_code == 201, away.text
    [handed] = await open_occurrences(client, anna, household["id"], turn["chore_id"])
    assert (handed["due_at"], handed["assignee_id"]) == (turn["due_at"], ids[2])  # Cleo, not Anna again


async def test_a_turn_handed_on_by_a_leaving_member_goes_to_the_next_in_the_rotation(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    (anna, ben, _), household, ids, turn = await _rotation_at_ben(client, make_user)
    left = await client.post(f"/api/households/{household['id']}/leave", headers=ben.headers())
    assert left.status_code == 204, left.text
    [handed] = await open_occurrences(client, anna, household["id"], turn["chore_id"])
    assert (handed["due_at"], handed["assignee_id"]) == (turn["due_at"], ids[2])
