"""The notification feed: notify, paging, unread, marking read, settings and household visibility."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from shared.db import session_scope
from shared.models import Notification, User
from shared.notifications import notify
from shared.schemas import NotificationKind
from tests.plugin import FirebaseUser, MakeUser
from tests.utils import add_member, assert_problem, create_household, me

FEED = "/api/me/notifications"
READ = "/api/me/notifications/read"
SETTINGS = "/api/me/notification-settings"


async def _notify(
    user_ids: list[str],
    household_id: str,
    kind: NotificationKind = "assigned",
    text: str = "Dishes are yours",
) -> str:
    """One notification per user, committed in its own transaction (so each batch has its own time)."""
    key = f"test:{uuid.uuid4()}"
    async with session_scope() as session:
        await notify(
            session,
            user_ids=[uuid.UUID(user_id) for user_id in user_ids],
            household_id=uuid.UUID(household_id),
            kind=kind,
            text=text,
            dedupe_key=key,
        )
        await session.commit()
    return key


async def _feed(client: httpx.AsyncClient, user: FirebaseUser, **params: Any) -> dict[str, Any]:
    response = await client.get(FEED, headers=user.headers(), params=params)
    assert response.status_code == 200, response.text
    return dict(response.json())


async def _mark(client: httpx.AsyncClient, user: FirebaseUser, body: dict[str, Any]) -> int:
    response = await client.post(READ, headers=user.headers(), json=body)
    assert response.status_code == 200, response.text
    return int(response.json()["marked"])


async def test_list_notifications_pages_newest_first(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    owner = make_user("owner")
    household = await create_household(client, owner)
    owner_id = (await me(client, owner))["id"]
    for number in range(5):
        await _notify([owner_id], household["id"], text=f"note {number}")

    seen: list[dict[str, Any]] = []
    page = await _feed(client, owner, limit=2)
    pages = 1
    while True:
        assert page["unread_count"] == 5
        seen.extend(page["data"])
        if page["next"] is None:
            break
        page = await _feed(client, owner, limit=2, **page["next"])
        pages += 1
    assert pages == 3
    assert [item["text"] for item in seen] == [f"note {number}" for number in (4, 3, 2, 1, 0)]
    assert len({item["id"] for item in seen}) == 5
    assert seen[0] | {"id": None, "created_at": None} == {
        "id": None,
        "household_id": household["id"],
        "kind": "assigned",
        "text": "note 4",
        "occurrence_id": None,
        "created_at": None,
        "read": False,
    }


async def test_list_notifications_pages_through_one_transactions_batch(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    # Rows written in one transaction share their created_at: the id breaks the tie.
    owner = make_user("owner")
    household = await create_household(client, owner)
    owner_id = (await me(client, owner))["id"]
    async with session_scope() as session:
        for number in range(5):
            await notify(
                session,
                user_ids=[uuid.UUID(owner_id)],
                household_id=uuid.UUID(household["id"]),
                kind="member_joined",
                text=f"joined {number}",
                dedupe_key=f"batch:{number}",
            )
        await session.commit()
    ids: list[str] = []
    cursor: dict[str, Any] = {}
    while True:
        page = await _feed(client, owner, limit=2, **cursor)
        ids.extend(item["id"] for item in page["data"])
        if page["next"] is None:
            break
        cursor = page["next"]
    assert len(ids) == len(set(ids)) == 5


async def _forget(household_id: str) -> None:
    from sqlalchemy import text

    async with session_scope() as session:
        await session.execute(text("DELETE FROM notifications WHERE household_id = :h"), {"h": household_id})
        await session.commit()


async def test_mark_notifications_read_by_ids_ignores_other_peoples(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    owner, member = make_user("owner"), make_user("member")
    household = await create_household(client, owner)
    await add_member(client, owner, household["id"], member)
    owner_id, member_id = (await me(client, owner))["id"], (await me(client, member))["id"]
    await _forget(household["id"])  # joining notified the owner; start from an empty feed
    for _ in range(3):
        await _notify([owner_id], household["id"])
    await _notify([member_id], household["id"], kind="member_joined")
    mine = (await _feed(client, owner))["data"]
    theirs = (await _feed(client, member))["data"]
    assert len(mine) == 3
    assert len(theirs) == 1

    body = {"ids": [mine[0]["id"], theirs[0]["id"], str(uuid.uuid4())]}
    assert await _mark(client, owner, body) == 1
    assert await _mark(client, owner, body) == 0  # idempotent: nothing left to mark

    unread = await _feed(client, owner, unread=True)
    assert unread["unread_count"] == 2
    assert [item["id"] for item in unread["data"]] == [item["id"] for item in mine[1:]]
    everything = await _feed(client, owner)
    assert [item["read"] for item in everything["data"]] == [True, False, False]
    other = await _feed(client, member)
    assert other["unread_count"] == 1
    assert other["data"][0]["read"] is False


async def test_mark_notifications_read_all_before(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    owner = make_user("owner")
    household = await create_household(client, owner)
    owner_id = (await me(client, owner))["id"]
    await _notify([owner_id], household["id"], text="older")
    await _notify([owner_id], household["id"], text="newer")
    newer, older = (await _feed(client, owner))["data"]
    assert (newer["text"], older["text"]) == ("newer", "older")

    assert await _mark(client, owner, {"all_before": older["created_at"]}) == 1
    page = await _feed(client, owner, unread=True)
    assert [item["text"] for item in page["data"]] == ["newer"]
    assert page["unread_count"] == 1
    later = (dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1)).isoformat()
    assert await _mark(client, owner, {"all_before": later}) == 1
    assert await _mark(client, owner, {"all_before": later}) == 0
    assert (await _feed(client, owner))["unread_count"] == 0


async def test_update_notification_settings_round_trip(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    user = make_user()
    response = await client.get(SETTINGS, headers=user.headers())
    assert response.status_code == 200, response.text
    assert response.json() == {"quiet_hours": None, "muted_kinds": [], "timezone": "UTC"}
    await client.patch("/api/me", headers=user.headers(), json={"timezone": "Europe/Berlin"})

    response = await client.patch(
        SETTINGS,
        headers=user.headers(),
        json={
            # Seconds, fractions and offsets are dropped, not refused: quiet hours are local minutes.
            "quiet_hours": {"start": "22:00:45.5+02:00", "end": "07:30Z"},
            "muted_kinds": ["overdue", "assigned"],
        },
    )
    assert response.status_code == 200, response.text
    expected = {
        "quiet_hours": {"start": "22:00", "end": "07:30"},
        "muted_kinds": ["assigned", "overdue"],
        "timezone": "Europe/Berlin",
    }
    assert response.json() == expected
    assert (await client.get(SETTINGS, headers=user.headers())).json() == expected
    # Stored as the local times the remind job compares with.
    user_id = uuid.UUID((await me(client, user))["id"])
    async with session_scope() as session:
        stored = await session.scalar(select(User).where(User.id == user_id))
    assert stored is not None
    assert (stored.quiet_start, stored.quiet_end) == (dt.time(22, 0), dt.time(7, 30))
    assert stored.muted_kinds == ["assigned", "overdue"]

    # Left out: kept.
    response = await client.patch(SETTINGS, headers=user.headers(), json={})
    assert response.json() == expected
    response = await client.patch(SETTINGS, headers=user.headers(), json={"muted_kinds": []})
    assert response.json() == expected | {"muted_kinds": []}
    # Equal times are a window of no length: no quiet hours.
    response = await client.patch(
        SETTINGS, headers=user.headers(), json={"quiet_hours": {"start": "08:00", "end": "08:00:30"}}
    )
    assert response.json()["quiet_hours"] is None
    await client.patch(
        SETTINGS, headers=user.headers(), json={"quiet_hours": {"start": "23:00", "end": "06:00"}}
    )
    response = await client.patch(SETTINGS, headers=user.headers(), json={"quiet_hours": None})
    assert response.status_code == 200, response.text
    assert response.json()["quiet_hours"] is None


async def test_notify_skips_users_who_muted_the_kind(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    owner, member = make_user("owner"), make_user("member")
    household = await create_household(client, owner)
    await add_member(client, owner, household["id"], member)
    owner_id, member_id = (await me(client, owner))["id"], (await me(client, member))["id"]
    await _forget(household["id"])  # joining notified the owner; start from an empty feed
    response = await client.patch(SETTINGS, headers=member.headers(), json={"muted_kinds": ["assigned"]})
    assert response.status_code == 200, response.text

    key = await _notify([owner_id, member_id], household["id"], kind="assigned")
    await _notify([owner_id, member_id], household["id"], kind="overdue", text="Dishes are overdue")
    assert [item["kind"] for item in (await _feed(client, owner))["data"]] == ["overdue", "assigned"]
    assert [item["kind"] for item in (await _feed(client, member))["data"]] == ["overdue"]

    # The same dedupe key again adds nothing (and unmuting does not bring back what was skipped).
    await client.patch(SETTINGS, headers=member.headers(), json={"muted_kinds": []})
    async with session_scope() as session:
        await notify(
            session,
            user_ids=[uuid.UUID(owner_id)],
            household_id=uuid.UUID(household["id"]),
            kind="assigned",
            text="again",
            dedupe_key=key,
        )
        await session.commit()
        count = len(
            list(await session.scalars(select(Notification.id).where(Notification.dedupe_key == key)))
        )
    assert count == 1
    assert len((await _feed(client, member))["data"]) == 1


async def test_list_notifications_hides_households_the_user_was_removed_from(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    owner, member = make_user("owner"), make_user("member")
    shared_home = await create_household(client, owner, name="Shared")
    own_home = await create_household(client, member, name="Own")
    await add_member(client, owner, shared_home["id"], member)
    member_id = (await me(client, member))["id"]
    await _notify([member_id], shared_home["id"], text="in shared")
    await _notify([member_id], own_home["id"], text="in own")
    assert (await _feed(client, member))["unread_count"] == 2
    only_shared = await _feed(client, member, household_id=shared_home["id"])
    assert [item["text"] for item in only_shared["data"]] == ["in shared"]
    assert only_shared["unread_count"] == 2  # the badge counts everything

    response = await client.delete(
        f"/api/households/{shared_home['id']}/members/{member_id}", headers=owner.headers()
    )
    assert response.status_code == 204, response.text
    page = await _feed(client, member)
    assert [item["text"] for item in page["data"]] == ["in own"]
    assert page["unread_count"] == 1
    assert (await _feed(client, member, household_id=shared_home["id"]))["data"] == []
    # Nor can they be marked: the count says what the person could see.
    far = (dt.datetime.now(dt.UTC) + dt.timedelta(days=1)).isoformat()
    assert await _mark(client, member, {"all_before": far}) == 1


@pytest.mark.parametrize(
    ("method", "url", "params", "body"),
    [
        ("GET", FEED, {"limit": 0}, None),
        ("GET", FEED, {"limit": 201}, None),
        ("GET", FEED, {"before": "yesterday"}, None),
        ("GET", FEED, {"household_id": "nope"}, None),
        ("GET", FEED, {"unread": "perhaps"}, None),
        ("POST", READ, {}, {}),
        ("POST", READ, {}, {"ids": [str(uuid.uuid4())], "all_before": "2026-01-01T00:00:00Z"}),
        ("POST", READ, {}, {"ids": [str(uuid.uuid4()) for _ in range(201)]}),
        ("POST", READ, {}, {"ids": ["not-a-uuid"]}),
        ("POST", READ, {}, {"all_before": "2026-01-01T00:00:00"}),
        ("POST", READ, {}, {"all_before": None}),
        ("POST", READ, {}, []),
        ("PATCH", SETTINGS, {}, {"muted_kinds": ["overdue", "overdue"]}),
        ("PATCH", SETTINGS, {}, {"muted_kinds": ["gossip"]}),
        ("PATCH", SETTINGS, {}, {"quiet_hours": {"start": "25:00", "end": "07:00"}}),
        ("PATCH", SETTINGS, {}, {"quiet_hours": {"start": "7:00", "end": "08:00"}}),
        ("PATCH", SETTINGS, {}, {"quiet_hours": {"start": "22:00"}}),
        ("PATCH", SETTINGS, {}, {"quiet_hours": "22:00-07:00"}),
        ("PATCH", SETTINGS, {}, {"quiet": None}),
    ],
)
async def test_notification_operations_refuse_bad_input(
    client: httpx.AsyncClient,
    make_user: MakeUser,
    method: str,
    url: str,
    params: dict[str, Any],
    body: Any,
) -> None:
    user = make_user()
    response = await client.request(method, url, headers=user.headers(), params=params, json=body)
    body = assert_problem(response, 422, "validation-failed")
    assert body["errors"]


async def test_services_notify_the_people_concerned(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    from tests.utils import create_chore, open_occurrences

    owner, member = make_user("owner"), make_user("member")
    household = await create_household(client, owner)
    await add_member(client, owner, household["id"], member)
    owner_id, member_id = (await me(client, owner))["id"], (await me(client, member))["id"]

    async def kinds(user: FirebaseUser) -> list[str]:
        page = (await client.get("/api/me/notifications", headers=user.headers())).json()
        return sorted(item["kind"] for item in page["data"])

    assert await kinds(owner) == ["member_joined"]
    chore = await create_chore(client, owner, household["id"], [member_id, owner_id], strategy="fixed")
    assert await kinds(member) == ["assigned"]
    [occurrence] = await open_occurrences(client, owner, household["id"], chore["id"])
    base = f"/api/households/{household['id']}/occurrences/{occurrence['id']}"
    moved = await client.post(f"{base}/reassign", headers=owner.headers(), json={"assignee_id": owner_id})
    assert moved.status_code == 200
    assert await kinds(member) == ["assigned", "reassigned_away"]
    assert "assigned" in await kinds(owner)
    back = await client.post(f"{base}/reassign", headers=owner.headers(), json={"assignee_id": member_id})
    assert back.status_code == 200
    assert (await kinds(member)).count("assigned") == 2
    done = await client.post(f"{base}/complete", headers=owner.headers(), json={})
    assert done.status_code == 200
    assert "completed_by_other" in await kinds(member)
