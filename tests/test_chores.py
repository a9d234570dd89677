from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from tests.plugin import FirebaseUser, MakeUser
from tests.utils import (
    add_member,
    assert_problem,
    create_chore,
    create_household,
    daily,
    me,
    open_occurrences,
)


async def _household_of_two(
    client: httpx.AsyncClient, make_user: MakeUser
) -> tuple[FirebaseUser, FirebaseUser, dict[str, Any], list[str]]:
    owner, member = make_user("owner"), make_user("member")
    household = await create_household(client, owner, timezone="Europe/Berlin")
    await add_member(client, owner, household["id"], member)
    ids = [(await me(client, owner))["id"], (await me(client, member))["id"]]
    return owner, member, household, ids


async def test_create_chore_schedules_first_occurrence(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    owner, member, household, ids = await _household_of_two(client, make_user)
    chore = await create_chore(
        client, owner, household["id"], ids, title="Dishes", effort_minutes=20, points=3, room="Kitchen"
    )
    assert chore["rule"].startswith("DTSTART:")
    assert "FREQ=DAILY" in chore["rule"]
    assert [m["user_id"] for m in chore["eligible"]] == ids
    assert chore["next_due_at"] is not None
    [occurrence] = await open_occurrences(client, member, household["id"], chore["id"])
    assert occurrence["chore_title"] == "Dishes"
    assert occurrence["assignee_id"] == ids[0]
    assert occurrence["assignment_reason"].startswith("round robin:")
    due_local = dt.datetime.fromisoformat(occurrence["due_at"]).astimezone(ZoneInfo("Europe/Berlin"))
    assert (due_local.hour, due_local.minute) == (7, 0)


async def test_create_chore_refuses_non_members_and_creates_nothing(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    owner, _, household, ids = await _household_of_two(client, make_user)
    stranger = make_user("stranger")
    stranger_id = (await me(client, stranger))["id"]
    response = await client.post(
        f"/api/households/{household['id']}/chores",
        headers=owner.headers(),
        json={"title": "Dishes", "eligible": [ids[0], stranger_id], "schedule": daily()},
    )
    body = assert_problem(response, 409, "not-a-member")
    assert body["user_ids"] == [stranger_id]
    listed = await client.get(f"/api/households/{household['id']}/chores", headers=owner.headers())
    assert listed.json()["count"] == 0


async def test_create_chore_rejects_bad_input(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    owner, _, household, ids = await _household_of_two(client, make_user)
    url = f"/api/households/{household['id']}/chores"
    cases = [
        {"title": "", "eligible": ids, "schedule": daily()},
        {"title": "Dishes", "eligible": [], "schedule": daily()},
        {"title": "Dishes", "eligible": [ids[0], ids[0]], "schedule": daily()},
        {"title": "Dishes", "eligible": ids, "schedule": {"kind": "fortnightly"}},
        {"title": "Dishes", "eligible": ids, "schedule": daily(), "effort_minutes": 0},
        {"title": "Dishes", "eligible": ids, "schedule": daily(), "strategy": "whoever"},
        {"title": "Dishes", "eligible": ids, "schedule": daily(), "notes": "a\u0000b"},
        {"title": "Dishes", "eligible": ids, "schedule": daily(), "notes": "bell \u0007"},
    ]
    for body in cases:
        assert_problem(await client.post(url, headers=owner.headers(), json=body), 422)
    assert (await client.get(url, headers=owner.headers())).json()["count"] == 0


async def test_update_chore_schedule_recomputes_open_occurrence(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    owner, _, household, ids = await _household_of_two(client, make_user)
    chore = await create_chore(client, owner, household["id"], ids)
    response = await client.patch(
        f"/api/households/{household['id']}/chores/{chore['id']}",
        headers=owner.headers(),
        json={"schedule": daily("09:30"), "title": "Dishes and pans"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["title"] == "Dishes and pans"
    [occurrence] = await open_occurrences(client, owner, household["id"], chore["id"])
    due_local = dt.datetime.fromisoformat(occurrence["due_at"]).astimezone(ZoneInfo("Europe/Berlin"))
    assert (due_local.hour, due_local.minute) == (9, 30)


async def test_update_chore_eligibility_reassigns(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    owner, _, household, ids = await _household_of_two(client, make_user)
    chore = await create_chore(client, owner, household["id"], ids, strategy="fixed")
    response = await client.patch(
        f"/api/households/{household['id']}/chores/{chore['id']}",
        headers=owner.headers(),
        json={"eligible": [ids[1]]},
    )
    assert response.status_code == 200, response.text
    [occurrence] = await open_occurrences(client, owner, household["id"], chore["id"])
    assert occurrence["assignee_id"] == ids[1]


async def test_archive_chore_stops_scheduling(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    owner, _, household, ids = await _household_of_two(client, make_user)
    chore = await create_chore(client, owner, household["id"], ids)
    base = f"/api/households/{household['id']}/chores"
    assert (await client.post(f"{base}/{chore['id']}/archive", headers=owner.headers())).status_code == 204
    assert (await client.get(base, headers=owner.headers())).json()["count"] == 0
    archived = (await client.get(base, headers=owner.headers(), params={"include_archived": "true"})).json()
    assert archived["data"][0]["archived"] is True
    assert await open_occurrences(client, owner, household["id"], chore["id"]) == []
    response = await client.patch(f"{base}/{chore['id']}", headers=owner.headers(), json={"title": "x"})
    assert_problem(response, 409, "chore-archived")


async def test_preview_schedule_month_ends(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    owner = make_user()
    household = await create_household(client, owner, timezone="America/New_York")
    response = await client.post(
        f"/api/households/{household['id']}/schedule-preview",
        headers=owner.headers(),
        json={
            "schedule": {"kind": "monthly_day", "start": "2027-01-01", "time": "18:00", "day": 31},
            "count": 6,
        },
    )
    assert response.status_code == 200, response.text
    local = [
        dt.datetime.fromisoformat(value).astimezone(ZoneInfo("America/New_York"))
        for value in response.json()["due_at"]
    ]
    assert [d.date().isoformat() for d in local] == [
        "2027-01-31",
        "2027-02-28",
        "2027-03-31",
        "2027-04-30",
        "2027-05-31",
        "2027-06-30",
    ]
    assert all((d.hour, d.minute) == (18, 0) for d in local)


async def test_notes_keep_lines_and_refuse_control_characters(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    owner, _, household, ids = await _household_of_two(client, make_user)
    chore = await create_chore(client, owner, household["id"], ids, notes="Sink\n\tthen hob\r\n")
    assert chore["notes"] == "Sink\n\tthen hob\r\n"
    url = f"/api/households/{household['id']}/chores/{chore['id']}"
    assert_problem(await client.patch(url, headers=owner.headers(), json={"notes": "\u0000"}), 422)
    [occurrence] = await open_occurrences(client, owner, household["id"], chore["id"])
    complete = f"/api/households/{household['id']}/occurrences/{occurrence['id']}/complete"
    assert_problem(await client.post(complete, headers=owner.headers(), json={"note": "x\u0000"}), 422)
    assert [o["id"] for o in await open_occurrences(client, owner, household["id"], chore["id"])] == [
        occurrence["id"]
    ]
    assert (await client.get(url, headers=owner.headers())).json()["notes"] == "Sink\n\tthen hob\r\n"


async def test_update_chore_sent_back_unchanged_keeps_its_open_occurrence(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    # An edit form sends every field: only a real change re-plans (and so undoes a reassignment).
    owner, _, household, ids = await _household_of_two(client, make_user)
    chore = await create_chore(client, owner, household["id"], ids, strategy="round_robin")
    [occurrence] = await open_occurrences(client, owner, household["id"], chore["id"])
    base = f"/api/households/{household['id']}"
    reassign = f"{base}/occurrences/{occurrence['id']}/reassign"
    moved = await client.post(reassign, headers=owner.headers(), json={"assignee_id": ids[1]})
    assert moved.status_code == 200, moved.text
    form = {
        "title": "Renamed",
        "eligible": ids,
        "schedule": chore["schedule"],
        "strategy": "round_robin",
        "mode": "one_of",
        "paused": False,
    }
    response = await client.patch(f"{base}/chores/{chore['id']}", headers=owner.headers(), json=form)
    assert response.status_code == 200, response.text
    assert response.json()["title"] == "Renamed"
    [kept] = await open_occurrences(client, owner, household["id"], chore["id"])
    assert (kept["id"], kept["assignee_id"]) == (occurrence["id"], ids[1])
    # A real change still re-plans.
    response = await client.patch(
        f"{base}/chores/{chore['id']}", headers=owner.headers(), json={"eligible": [ids[0]]}
    )
    assert response.status_code == 200, response.text
    [replanned] = await open_occurrences(client, owner, household["id"], chore["id"])
    assert replanned["assignee_id"] == ids[0]


async def test_update_chore_concurrent_eligibility_changes_take_turns(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    owner, _, household, ids = await _household_of_two(client, make_user)
    chore = await create_chore(client, owner, household["id"], ids)
    url = f"/api/households/{household['id']}/chores/{chore['id']}"
    orders = [ids, ids[::-1], [ids[0]], [ids[1]]] * 2
    responses = await asyncio.gather(
        *(client.patch(url, headers=owner.headers(), json={"eligible": order}) for order in orders)
    )
    assert [r.status_code for r in responses] == [200] * len(orders), [r.text for r in responses]
    final = (await client.get(url, headers=owner.headers())).json()
    assert [m["user_id"] for m in final["eligible"]] in orders
    assert len(await open_occurrences(client, owner, household["id"], chore["id"])) == 1
