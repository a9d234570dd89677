"""The WebSocket relay (`chorus relay`) as a real process, against real Redis and PostgreSQL."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from tests.plugin import FirebaseUser, MakeUser, ServedProcess, _start, _stop
from tests.utils import add_member, create_chore, create_household, forge_token, me, wait_until


@pytest.fixture(scope="module")
def relay(migrated: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedProcess]:
    served = _start(["relay"], tmp_path_factory.mktemp("relay"))
    yield served
    _stop(served)


def _ws(served: ServedProcess) -> str:
    return served.url.replace("http://", "ws://") + "/ws"


@asynccontextmanager
async def socket(
    served: ServedProcess, user: FirebaseUser, since: dict[str, int] | None = None
) -> AsyncIterator[tuple[ClientConnection, dict[str, Any]]]:
    """A connected, authenticated client and the relay's `ready` message."""
    async with connect(_ws(served)) as ws:
        await ws.send(json.dumps({"type": "auth", "token": user.id_token, "since": since or {}}))
        ready = await receive(ws)
        assert ready["type"] == "ready", ready
        yield ws, ready


async def receive(ws: ClientConnection, wait: float = 5) -> dict[str, Any]:
    """The next message other than a ping."""
    while True:
        message = json.loads(await asyncio.wait_for(ws.recv(), wait))
        if message["type"] != "ping":
            return dict(message)


async def events(ws: ClientConnection, count: int, wait: float = 5) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    async with asyncio.timeout(wait):
        while len(found) < count:
            message = await receive(ws, wait)
            if message["type"] == "event":
                found.append(message)
    return found


async def nothing(ws: ClientConnection, wait: float = 0.5) -> None:
    try:
        message = await receive(ws, wait)
    except TimeoutError:
        return
    pytest.fail(f"unexpected message {message}")


async def _drain(ws: ClientConnection) -> None:
    while True:
        await ws.recv()


async def close_code(ws: ClientConnection, wait: float = 5) -> int:
    with pytest.raises(ConnectionClosed) as closed:
        await asyncio.wait_for(_drain(ws), wait)
    assert closed.value.rcvd is not None
    return closed.value.rcvd.code


async def rename(client: httpx.AsyncClient, user: FirebaseUser, household_id: str, name: str) -> None:
    response = await client.patch(
        f"/api/households/{household_id}", headers=user.headers(), json={"name": name}
    )
    assert response.status_code == 200, response.text


async def test_a_change_reaches_members_and_no_one_else(
    relay: ServedProcess, client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    owner, stranger = make_user("owner"), make_user("stranger")
    household = await create_household(client, owner)
    await create_household(client, stranger)
    owner_id = (await me(client, owner))["id"]
    async with socket(relay, owner) as (mine, ready), socket(relay, stranger) as (theirs, _):
        assert ready["households"] == [household["id"]]
        chore = await create_chore(client, owner, household["id"], [owner_id])
        received = await events(mine, 2)
        assert {m["event"] for m in received} == {"chore.created", "occurrence.created"}
        assert [m["seq"] for m in received] == [2, 3]
        created = next(m for m in received if m["event"] == "chore.created")
        assert created["household_id"] == household["id"]
        assert created["payload"]["chore_id"] == chore["id"]
        assert created["created_at"]
        await nothing(theirs)


async def test_a_removed_member_stops_receiving(
    relay: ServedProcess, client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    owner, member = make_user("owner"), make_user("member")
    household = await create_household(client, owner)
    await add_member(client, owner, household["id"], member)
    member_id = (await me(client, member))["id"]
    async with socket(relay, owner) as (watcher, _), socket(relay, member) as (ws, ready):
        assert ready["households"] == [household["id"]]
        response = await client.delete(
            f"/api/households/{household['id']}/members/{member_id}", headers=owner.headers()
        )
        assert response.status_code == 204, response.text
        [removed] = await events(ws, 1)
        assert removed["event"] == "member.removed"
        assert removed["payload"]["user_id"] == member_id
        await rename(client, owner, household["id"], "Private now")
        seen = await events(watcher, 2)
        assert [m["event"] for m in seen] == ["member.removed", "household.updated"]
        await nothing(ws)


async def test_a_reconnecting_client_gets_what_it_missed_in_order(
    relay: ServedProcess, client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    owner = make_user("owner")
    household = await create_household(client, owner)
    hid = household["id"]
    async with socket(relay, owner) as (ws, _):
        await rename(client, owner, hid, "First")
        [seen] = await events(ws, 1)
    last = seen["seq"]
    for n in range(100):
        await rename(client, owner, hid, f"Name {n}")
    async with socket(relay, owner, since={hid: last}) as (ws, _):
        missed = await events(ws, 100)
        assert [m["seq"] for m in missed] == list(range(last + 1, last + 101))
        assert [m["payload"]["name"] for m in missed] == [f"Name {n}" for n in range(100)]
        await rename(client, owner, hid, "Live")
        [live] = await events(ws, 1)
        assert live["seq"] == last + 101
        await nothing(ws, 0.3)
    # Without `since` there is no replay, only what happens next.
    async with socket(relay, owner) as (ws, _):
        await nothing(ws, 0.3)


async def test_a_client_too_far_behind_resyncs_and_gets_nothing_older(
    relay: ServedProcess, client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    from sqlalchemy import text

    from functions.relay import REPLAY_LIMIT
    from shared.db import session_scope

    owner = make_user("owner")
    household = await create_household(client, owner)
    hid = household["id"]
    behind = REPLAY_LIMIT + 100  # more than one capped fetch of the replay
    async with session_scope() as session:
        first = await session.scalar(
            text("UPDATE households SET event_seq = event_seq + :n WHERE id = :h RETURNING event_seq - :n"),
            {"n": behind, "h": hid},
        )
        await session.execute(
            text(
                "INSERT INTO events (household_id, seq, type, payload, published_at) "
                "SELECT CAST(:h AS uuid), s, 'test.old', '{}'::jsonb, now() "
                "FROM generate_series(CAST(:a AS bigint), CAST(:b AS bigint)) AS s"
            ),
            {"h": hid, "a": first + 1, "b": first + behind},
        )
        await session.commit()
    async with socket(relay, owner, since={hid: 1}) as (ws, _):
        assert await receive(ws) == {"type": "resync", "household_id": hid}
        await rename(client, owner, hid, "After the resync")
        # The stream goes on from the newest event: nothing from before the resync follows it.
        [live] = await events(ws, 1)
        assert (live["event"], live["seq"]) == ("household.updated", first + behind + 1)
        await nothing(ws, 0.3)


async def test_bad_or_missing_auth_closes_with_4401(relay: ServedProcess, make_user: MakeUser) -> None:
    async with connect(_ws(relay)) as ws:
        await ws.send(json.dumps({"type": "auth", "token": "not-a-token", "since": {}}))
        assert await close_code(ws) == 4401
    async with connect(_ws(relay)) as ws:
        await ws.send(json.dumps({"type": "pong"}))
        assert await close_code(ws) == 4401
    async with connect(_ws(relay) + f"?token={make_user().id_token}") as ws:
        await ws.send("{}")
        assert await close_code(ws) == 4401


async def test_an_expired_token_is_closed_unless_renewed(
    relay: ServedProcess, client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    user = make_user("short")
    await create_household(client, user)
    soon = int(time.time()) + 2
    short = forge_token(user.id_token, exp=soon)
    async with connect(_ws(relay)) as ws:
        await ws.send(json.dumps({"type": "auth", "token": short}))
        assert (await receive(ws))["type"] == "ready"
        await ws.send(json.dumps({"type": "auth", "token": user.id_token}))
        assert (await receive(ws))["type"] == "renewed"
        await nothing(ws, 2.5)  # past the short token's expiry, still open
    async with connect(_ws(relay)) as ws:
        await ws.send(json.dumps({"type": "auth", "token": short}))
        assert (await receive(ws))["type"] == "ready"
        assert await close_code(ws, 5) == 4401


async def test_every_relay_process_delivers(
    relay: ServedProcess, client: httpx.AsyncClient, make_user: MakeUser, tmp_path: Path
) -> None:
    other = _start(["relay"], tmp_path)
    try:
        owner, member = make_user("owner"), make_user("member")
        household = await create_household(client, owner)
        await add_member(client, owner, household["id"], member)
        async with socket(relay, owner) as (first, _), socket(other, member) as (second, _):
            await rename(client, owner, household["id"], "Both")
            [a] = await events(first, 1)
            [b] = await events(second, 1)
            assert a == b
            assert a["event"] == "household.updated"
        # SIGTERM: clients are told to reconnect, then closed with 1012.
        async with socket(other, member) as (ws, _):
            other.process.terminate()
            assert (await receive(ws))["type"] == "reconnect"
            assert await close_code(ws) == 1012
        assert await asyncio.to_thread(other.process.wait, 10) is not None
    finally:
        _stop(other)


async def test_a_gap_in_the_live_stream_is_filled_from_postgres(
    relay: ServedProcess, client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    import uuid

    from shared import events as outbox
    from shared.db import session_scope

    owner = make_user("owner")
    household = await create_household(client, owner)
    hid = household["id"]
    async with socket(relay, owner) as (ws, _):
        # Committed but never published, as if Redis had dropped them.
        async with session_scope() as session:
            for n in range(3):
                await outbox.record(
                    session, household_id=uuid.UUID(hid), kind="test.unpublished", payload={"n": n}
                )
            await session.commit()
            outbox.discard(session)
        await rename(client, owner, hid, "After the gap")
        received = await events(ws, 4)
        assert [m["seq"] for m in received] == [2, 3, 4, 5]
        assert [m["event"] for m in received] == [*["test.unpublished"] * 3, "household.updated"]


async def test_a_private_event_reaches_only_its_audience(
    relay: ServedProcess, client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    owner, member = make_user("owner"), make_user("member")
    household = await create_household(client, owner)
    await add_member(client, owner, household["id"], member)
    async with socket(relay, owner) as (admin_socket, _), socket(relay, member) as (member_socket, _):
        created = await client.post(
            f"/api/households/{household['id']}/invites", headers=owner.headers(), json={}
        )
        assert created.status_code == 201
        [seen] = await events(admin_socket, 1)
        assert seen["event"] == "invite.created"
        await nothing(member_socket)
        # The member's stream goes on past the private event: the next public one arrives.
        await rename(client, owner, household["id"], "Renamed")
        [next_for_member] = await events(member_socket, 1)
        assert next_for_member["event"] == "household.updated"
        assert next_for_member["seq"] == seen["seq"] + 1


async def test_a_deleted_household_is_announced_and_then_silent(
    relay: ServedProcess, client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    owner, member = make_user("owner"), make_user("member")
    household = await create_household(client, owner)
    await add_member(client, owner, household["id"], member)
    async with socket(relay, member) as (ws, _):
        deleted = await client.delete(f"/api/households/{household['id']}", headers=owner.headers())
        assert deleted.status_code == 204
        [gone] = await events(ws, 1)
        assert gone["event"] == "household.deleted"
        assert gone["household_id"] == household["id"]


async def test_a_name_change_reaches_every_household_of_the_member(
    relay: ServedProcess, client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    owner = make_user("owner")
    first = await create_household(client, owner, name="A")
    second = await create_household(client, owner, name="B")
    async with socket(relay, owner) as (ws, _):
        renamed = await client.patch("/api/me", headers=owner.headers(), json={"display_name": "Olive"})
        assert renamed.status_code == 200
        seen = await events(ws, 2)
    assert {m["household_id"] for m in seen} == {first["id"], second["id"]}
    assert {m["event"] for m in seen} == {"member.updated"}


async def _heap(http: httpx.AsyncClient, served: ServedProcess) -> tuple[float, float]:
    """The relay's heap at its last thaw: (objects held, objects that thaw's collection freed)."""
    text = (await http.get(f"{served.url}/metrics")).text
    values = dict(line.split() for line in text.splitlines() if line.startswith("chorus_relay_heap_"))
    return float(values["chorus_relay_heap_objects"]), float(values["chorus_relay_heap_thaw_freed_objects"])


async def test_closed_connections_leave_nothing_behind_in_the_frozen_heap(
    client: httpx.AsyncClient, make_user: MakeUser, tmp_path: Path
) -> None:
    """The relay freezes what survives a collection every second and thaws the heap for one full
    collection every RELAY_HEAP_THAW_SECONDS (2 s here), when it counts what it holds: what 150
    connections held must be gone once they close, by a close frame or by a client vanishing."""
    relay = _start(["relay"], tmp_path, env={"RELAY_HEAP_THAW_SECONDS": "2", "DB_POOL_SIZE": "1"})
    count = 150  # each open connection holds ~160 tracked objects
    user = make_user("crowd")
    await create_household(client, user)

    async def crowd() -> list[ClientConnection]:
        sockets = []
        for _ in range(count):
            ws = await connect(_ws(relay))
            await ws.send(json.dumps({"type": "auth", "token": user.id_token, "since": {}}))
            assert (await receive(ws))["type"] == "ready"
            sockets.append(ws)
        return sockets

    async def close(sockets: list[ClientConnection]) -> None:
        half = len(sockets) // 2
        await asyncio.gather(*(ws.close() for ws in sockets[:half]))
        for ws in sockets[half:]:
            ws.transport.abort()  # gone without a close frame, like a phone losing its network

    try:
        async with httpx.AsyncClient() as http:  # one connection for every scrape
            await close(await crowd())  # first use fills the caches (statements, token keys, …)
            await asyncio.sleep(3)
            before, _ = await _heap(http, relay)
            sockets = await crowd()
            held: list[tuple[float, float]] = []

            async def counted_with_the_crowd() -> bool:
                held.append(await _heap(http, relay))
                return held[-1][0] > before + count * 100

            await wait_until(
                counted_with_the_crowd, 10, "a thaw to count the open crowd", lambda: (before, held[-3:])
            )
            await close(sockets)
            after: list[tuple[float, float]] = []

            async def released() -> bool:
                after.append(await _heap(http, relay))
                return after[-1][0] < before + count * 5

            await wait_until(
                released,
                10,
                f"what {count} closed connections held to be gone",
                lambda: f"{before} before, {held[-1]} open, (objects, freed by the thaw) {after[-3:]} after",
            )
            assert after[-1][1] < count * 5, f"the thaw found {after[-1][1]} objects in reference cycles"
    finally:
        _stop(relay)


async def test_closed_connections_are_freed_without_a_garbage_collection() -> None:
    """`chorus relay` serves with functions.relay.WebSocketProtocol, which lets go of websockets'
    parser when a connection ends. With uvicorn's own protocol the parser (a generator) and
    websockets' protocol hold each other, as does the error that failed a connection: each closed
    connection, with what it had buffered, waited for a garbage collection, and in the relay's
    frozen heap for a thaw. Collection is off here, so only reference counting can free them:
    closed, dropped, failed for a message over MAX_FRAME, or refused at the handshake."""
    import gc

    import uvicorn
    from websockets.server import ServerProtocol

    from functions.relay import MAX_FRAME, WebSocketProtocol

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        assert scope["type"] == "websocket"
        await receive()  # websocket.connect
        await send({"type": "websocket.accept"})
        while (await receive())["type"] != "websocket.disconnect":
            pass

    def alive() -> int:
        return sum(isinstance(o, ServerProtocol) for o in gc.get_objects())

    async def started() -> bool:
        return bool(server.started)

    async def all_freed() -> bool:
        return alive() == 0

    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=0,
        lifespan="off",
        log_config=None,
        ws=WebSocketProtocol,  # as `chorus relay` serves (functions/cli.py)
        ws_max_size=MAX_FRAME,
        ws_per_message_deflate=False,
    )
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve())
    collecting = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        await wait_until(started, 10, "uvicorn to start")
        port = server.servers[0].sockets[0].getsockname()[1]
        assert alive() == 0
        sockets = [await connect(f"ws://127.0.0.1:{port}/") for _ in range(20)]
        assert alive() == 20
        await asyncio.gather(*(ws.close() for ws in sockets[:8]))
        for ws in sockets[8:16]:
            ws.transport.abort()  # gone without a close frame
        for ws in sockets[16:]:
            with contextlib.suppress(ConnectionClosed):
                await ws.send("x" * (MAX_FRAME + 1))
            with pytest.raises(ConnectionClosed):
                await asyncio.wait_for(ws.recv(), 5)
            assert ws.close_code == 1009
        for _ in range(4):  # an upgrade without Sec-WebSocket-Key: refused with 400
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(
                b"GET / HTTP/1.1\r\nHost: relay\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                b"Sec-WebSocket-Version: 13\r\n\r\n"
            )
            assert (await asyncio.wait_for(reader.readline(), 5)).startswith(b"HTTP/1.1 400")
            writer.close()
            await writer.wait_closed()
        await wait_until(all_freed, 5, "closed connections to be freed", lambda: f"{alive()} still in memory")
    finally:
        if collecting:
            gc.enable()
        server.should_exit = True
        await serving
