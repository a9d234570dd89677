"""The outbox: events are written with the change, numbered gaplessly per household, published."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import uuid
from typing import Any

import httpx
import redis.asyncio as redis
from sqlalchemy import select, text

from functions.devservices import Services
from shared import events, jobs
from shared.db import session_scope
from shared.models import OutboxEvent
from tests.plugin import MakeUser
from tests.utils import add_member, create_chore, create_household, me, open_occurrences


async def _events(household_id: str) -> list[Any]:
    async with session_scope() as session:
        return list(
            await session.execute(
                text("SELECT seq, type, published_at FROM events WHERE household_id = :h ORDER BY seq"),
                {"h": household_id},
            )
        )


async def _read(pubsub: Any, *, count: int | None = None, seconds: float) -> list[dict[str, Any]]:
    """Messages from a subscription: `count` of them within `seconds` (else TimeoutError), or, with
    no count, all that arrive within `seconds`."""
    received: list[dict[str, Any]] = []
    with contextlib.suppress(TimeoutError) if count is None else contextlib.nullcontext():
        async with asyncio.timeout(seconds):
            while count is None or len(received) < count:
                message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=0.2)
                if message is not None:
                    received.append(json.loads(message["data"]))
    return received


async def test_events_are_gapless_per_household_under_concurrency(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    owner, member = make_user("owner"), make_user("member")
    household = await create_household(client, owner)
    await add_member(client, owner, household["id"], member)
    ids = [(await me(client, owner))["id"], (await me(client, member))["id"]]
    chores = [await create_chore(client, owner, household["id"], ids, title=f"C{i}") for i in range(4)]
    targets = [(await open_occurrences(client, owner, household["id"], c["id"]))[0] for c in chores]
    base = f"/api/households/{household['id']}/occurrences"
    responses = await asyncio.gather(
        *(client.post(f"{base}/{o['id']}/complete", headers=owner.headers(), json={}) for o in targets),
        *(client.post(f"{base}/{o['id']}/complete", headers=member.headers(), json={}) for o in targets),
    )
    assert sorted(r.status_code for r in responses) == [200] * 4 + [409] * 4
    rows = await _events(household["id"])
    assert [row.seq for row in rows] == list(range(1, len(rows) + 1))
    types = [row.type for row in rows]
    assert types[:3] == ["household.created", "invite.created", "member.joined"]
    assert types.count("chore.created") == 4
    assert types.count("occurrence.completed") == 4
    assert types.count("occurrence.created") == 8  # the first ones, and the next ones
    assert all(row.published_at is not None for row in rows)


async def test_events_reach_redis_subscribers_after_commit(
    client: httpx.AsyncClient, make_user: MakeUser, services: Services
) -> None:
    owner = make_user("owner")
    household = await create_household(client, owner)
    owner_id = (await me(client, owner))["id"]
    subscriber = redis.from_url(services.redis_url)
    pubsub = subscriber.pubsub()
    await pubsub.subscribe(f"household:{household['id']}")
    try:
        chore = await create_chore(client, owner, household["id"], [owner_id])
        [occurrence] = await open_occurrences(client, owner, household["id"], chore["id"])
        url = f"/api/households/{household['id']}/occurrences/{occurrence['id']}/complete"
        assert (await client.post(url, headers=owner.headers(), json={})).status_code == 200
        received = await _read(pubsub, count=4, seconds=5)
    finally:
        await pubsub.aclose()  # type: ignore[no-untyped-call]
        await subscriber.aclose()
    # seq 1 is household.created, published before this test subscribed.
    assert [(m["seq"], m["type"]) for m in received] == [
        (2, "occurrence.created"),
        (3, "chore.created"),
        (4, "occurrence.completed"),
        (5, "occurrence.created"),
    ]
    assert received[2]["payload"]["occurrence_id"] == occurrence["id"]
    # Requests publish the message they built while recording, without reading the row back: it
    # must be what the row says (relays replay rows from the database in the same shape).
    async with session_scope() as session:
        rows = await session.scalars(
            select(OutboxEvent)
            .where(OutboxEvent.household_id == uuid.UUID(household["id"]), OutboxEvent.seq.between(2, 5))
            .order_by(OutboxEvent.seq)
        )
        assert [json.loads(events.wire(row)) for row in rows] == received


async def test_job_sweep_publishes_what_was_left_unpublished(
    client: httpx.AsyncClient, make_user: MakeUser, services: Services
) -> None:
    owner = make_user("owner")
    household = await create_household(client, owner)
    owner_id = (await me(client, owner))["id"]
    await create_chore(client, owner, household["id"], [owner_id])
    async with session_scope() as session:
        await session.execute(
            text("UPDATE events SET published_at = NULL WHERE household_id = :h"), {"h": household["id"]}
        )
        await session.commit()
    subscriber = redis.from_url(services.redis_url)
    pubsub = subscriber.pubsub()
    await pubsub.subscribe(f"household:{household['id']}")
    try:
        later = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=5)
        first = await jobs.run("sweep", now=later)
        assert first.changed.get("published", 0) >= 3
        assert [m["seq"] for m in await _read(pubsub, count=3, seconds=5)] == [1, 2, 3]
        assert (await jobs.run("sweep", now=later)).changed == {}
    finally:
        await pubsub.aclose()  # type: ignore[no-untyped-call]
        await subscriber.aclose()
    assert all(row.published_at is not None for row in await _events(household["id"]))


async def test_jobs_record_events_in_bulk_and_stay_gapless(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    owner = make_user("owner")
    household = await create_household(client, owner)
    owner_id = (await me(client, owner))["id"]
    chores = [await create_chore(client, owner, household["id"], [owner_id], title=f"C{i}") for i in range(3)]
    async with session_scope() as session:
        await session.execute(
            text("DELETE FROM occurrences WHERE chore_id = ANY(CAST(:c AS uuid[]))"),
            {"c": [c["id"] for c in chores]},
        )
        await session.commit()
    await jobs.run("materialize")
    rows = await _events(household["id"])
    assert [row.seq for row in rows] == list(range(1, len(rows) + 1))
    assert [row.type for row in rows][-3:] == ["occurrence.created"] * 3
    assert all(row.published_at is not None for row in rows)


async def test_events_survive_redis_being_down(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    import time

    from shared import events

    owner = make_user("owner")
    household = await create_household(client, owner)
    owner_id = (await me(client, owner))["id"]
    loop = asyncio.get_running_loop()
    working = events._redis()
    events._clients[loop] = redis.from_url("redis://127.0.0.1:9/0", socket_connect_timeout=0.2)
    try:
        started = time.monotonic()
        await create_chore(client, owner, household["id"], [owner_id])
        assert time.monotonic() - started < 2
        unpublished = [row for row in await _events(household["id"]) if row.published_at is None]
        assert [row.type for row in unpublished] == ["occurrence.created", "chore.created"]
    finally:
        await events._clients[loop].aclose()
        events._clients[loop] = working
        events._down_until = 0.0
    await jobs.run("sweep", now=dt.datetime.now(dt.UTC) + dt.timedelta(seconds=5))
    assert all(row.published_at is not None for row in await _events(household["id"]))


async def test_member_notifications_do_not_collide_across_households(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    owner, x, y = make_user("owner"), make_user("x"), make_user("y")
    first = await create_household(client, owner, name="A")
    second = await create_household(client, owner, name="B")
    await add_member(client, owner, first["id"], x)
    await add_member(client, owner, second["id"], y)
    page = (await client.get("/api/me/notifications", headers=owner.headers())).json()
    assert sorted(item["household_id"] for item in page["data"] if item["kind"] == "member_joined") == sorted(
        [first["id"], second["id"]]
    )


async def test_job_prune_deletes_only_old_published_events(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    owner = make_user("owner")
    household = await create_household(client, owner)
    await client.patch(f"/api/households/{household['id']}", headers=owner.headers(), json={"name": "Two"})
    async with session_scope() as session:
        # seq 1 is old and published, seq 2 is old but was never published: only 1 may go.
        await session.execute(
            text(
                "UPDATE events SET created_at = now() - interval '30 days', "
                "published_at = CASE WHEN seq = 1 THEN now() ELSE NULL END WHERE household_id = :h"
            ),
            {"h": household["id"]},
        )
        await session.commit()
    first = await jobs.run("prune")
    assert first.changed.get("deleted", 0) >= 1
    assert [row.seq for row in await _events(household["id"])] == [2]
    assert (await jobs.run("prune")).changed.get("deleted", 0) == 0


async def test_a_claimed_pool_occurrence_released_by_leaving_is_an_event(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    owner, member = make_user("owner"), make_user("member")
    household = await create_household(client, owner)
    await add_member(client, owner, household["id"], member)
    ids = [(await me(client, owner))["id"], (await me(client, member))["id"]]
    chore = await create_chore(client, owner, household["id"], ids, mode="pool")
    [occurrence] = await open_occurrences(client, owner, household["id"], chore["id"])
    base = f"/api/households/{household['id']}"
    assert (
        await client.post(f"{base}/occurrences/{occurrence['id']}/claim", headers=member.headers())
    ).status_code == 200
    assert (await client.post(f"{base}/leave", headers=member.headers())).status_code == 204
    types = [row.type for row in await _events(household["id"])]
    assert types[-2:] == ["occurrence.released", "member.left"]
    [back] = await open_occurrences(client, owner, household["id"], chore["id"])
    assert back["assignee_id"] is None


async def test_events_of_a_rolled_back_transaction_are_never_published(
    client: httpx.AsyncClient, make_user: MakeUser, services: Services
) -> None:
    owner = make_user("owner")
    household_id = uuid.UUID((await create_household(client, owner))["id"])
    subscriber = redis.from_url(services.redis_url)
    pubsub = subscriber.pubsub()
    await pubsub.subscribe(events.channel(household_id))
    try:
        async with session_scope() as session:
            first = await events.record(session, household_id=household_id, kind="test.undone", payload={})
            await session.rollback()  # no events.discard: the rollback alone must forget it
            second = await events.record(session, household_id=household_id, kind="test.kept", payload={})
            await events.commit(session)
        assert first == second  # the sequence number was rolled back too
        received = await _read(pubsub, seconds=1)
    finally:
        await pubsub.aclose()  # type: ignore[no-untyped-call]
        await subscriber.aclose()
    assert [(m["seq"], m["type"]) for m in received] == [(second, "test.kept")]
