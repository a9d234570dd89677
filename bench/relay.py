"""Push latency: commit-to-frame latency and deliveries per CPU-second of one `chorus relay`, versus
python-socketio with its Redis manager doing the same fan-out in the same run.

    .venv/bin/python bench/relay.py [--clients 1000,10000] [--events 500] [--json PATH] [--quick]

Starts embedded services (or uses DATABASE_URL / REDIS_URL / FIREBASE_AUTH_EMULATOR_HOST when
set) and migrates. This process, and so PostgreSQL, Redis and the emulator it starts, runs on
CPU 1; the server under test runs alone on CPU 0 (`taskset`, when there are two CPUs).

For each client count N (default 1,000 then 10,000) it signs up N / `--clients-per-user` users on
the Firebase Auth emulator, gives each a Chorus account straight in SQL, and makes as many
households: user u is a member of households u and u+1 (mod the count), so every household has
two members and every event goes to 2 x `--clients-per-user` connections (20 by default). Then,
for each system in turn, with only that one running:

* chorus: `chorus relay`; clients speak docs/relay-protocol.md (auth message, `ready`, events).
* socketio: bench/baseline/socketio_server.py, `socketio.AsyncServer` + `AsyncRedisManager` under
  uvicorn, one room per household; clients speak engine.io v4 / Socket.IO v5 directly over the
  WebSocket (`40{"token": …}` to connect, `3` to each ping), so the load generator stays cheap.

N clients connect (the users' tokens round-robin), all WebSocket clients of the `websockets`
package in this process, offering permessage-deflate as browsers do (`--no-compression` turns it
off; both servers run under the same uvicorn and negotiate it alike). After 1 s to settle the
server's idle CPU is measured over 3 s, then `--events` events are written one every 10-20 ms,
round-robin over the households, each in its own transaction with `shared.events.record`:

* chorus commits with `shared.events.commit`, exactly as a service does (commit, then publish the
  outbox rows to `household:<id>` and mark them published);
* socketio commits with `session.commit()`, then emits the same message to the household's room
  through a write-only `AsyncRedisManager`, as a Socket.IO app would after its commit.

Every event frame received is timed against clocks of this process: "commit", when PostgreSQL
acknowledged the COMMIT (SQLAlchemy's `after_commit`), the headline figure; "message in Redis",
when a Redis subscriber of this process got the event's message, which splits the latency into
the writer's part and the server's; and "before", right before the commit call. The server's CPU
time is its utime+stime from /proc/<pid>/stat over the event phase (first event to last frame),
so deliveries per CPU-second includes everything the server did meanwhile (routing, JSON,
framing, deflate, heartbeats). Then a burst, for deliveries per CPU-second at a higher rate with
the same stream for both: `--burst-events` events recorded in the outbox in one transaction, then
published straight to Redis at `--burst-rate` per second (each system's message format), timed
from each PUBLISH.

Both servers start through a small wrapper (GC_PROBE) that runs them unchanged and logs every
garbage collection of 2 ms or more; the pauses that fall in the event phase are reported.
`--gc-freeze` (an experiment) makes both call gc.freeze() once the app is loaded.

Unless `--no-profile`, after the measured phases at the first client count, another burst
(`--profile-events`) goes to the chorus relay while `py-spy record` samples it; the CPU shares by
component and by function go in the JSON's `profile`, and the raw stacks next to the server logs.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
BENCH = Path(__file__).resolve().parent
CHORUS = Path(sys.executable).parent / "chorus"
PY_SPY = Path(sys.executable).parent / "py-spy"
CLK_TCK = os.sysconf("SC_CLK_TCK")
SYSTEMS = ("chorus", "socketio")
# Both servers start through this: it runs them unchanged, and logs every garbage collection that
# takes 2 ms or more (start on this machine's monotonic clock, as time.perf_counter gives it here).
GC_PROBE = """
import gc, os, runpy, sys, time
started = [0.0]
def probe(phase, info):
    if phase == "start":
        started[0] = time.perf_counter()
        return
    pause = time.perf_counter() - started[0]
    if pause >= 0.002:
        print(f"gc-pause {info['generation']} {started[0]:.6f} {pause:.6f}", file=sys.stderr, flush=True)
    if info["generation"] == 2 and os.environ.get("BENCH_GC_OBJECTS"):
        tracked, frozen = len(gc.get_objects()), gc.get_freeze_count()
        print(f"gc-objects {tracked} frozen {frozen}", file=sys.stderr, flush=True)
gc.callbacks.append(probe)
if os.environ.get("BENCH_GC_FREEZE"):  # --gc-freeze: freeze the heap once the app is loaded
    import uvicorn.config
    load = uvicorn.config.Config.load
    def load_and_freeze(self):
        load(self)
        gc.collect()
        gc.freeze()
    uvicorn.config.Config.load = load_and_freeze
sys.argv = sys.argv[1:]
if sys.argv[0].endswith(".py"):
    runpy.run_path(sys.argv[0], run_name="__main__")
else:
    from functions.cli import main
    main()
"""
LABEL = {"chorus": "chorus relay", "socketio": "python-socketio"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process (all its threads), in seconds."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # fields 14 and 15 of proc(5)


def rss_kib(pid: int) -> int:
    """Resident set size of a process, from /proc/<pid>/status (KiB)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def raise_open_files() -> int:
    """Raise the soft RLIMIT_NOFILE to the hard limit (children inherit it); returns the new soft."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))]


def pin_to(cpu: int) -> bool:
    """Run this process (and what it starts from now on) on one CPU, when there are two."""
    if shutil.which("taskset") is None or (os.cpu_count() or 1) < 2:
        return False
    os.sched_setaffinity(0, {cpu})
    return True


def write_json(
    path: str | None,
    benchmark: str,
    rows: list[dict[str, Any]],
    notes: list[str],
    profile: str | None,
) -> None:
    if path is None:
        return
    document = {"benchmark": benchmark, "rows": rows, "notes": notes, "profile": profile}
    Path(path).write_text(json.dumps(document, indent=2) + "\n")
    print(f"wrote {path}")


def row(
    metric: str,
    chorus: float,
    baseline: float | None,
    unit: str,
    target: str | None = None,
    met: bool | None = None,
) -> dict[str, Any]:
    ratio = chorus / baseline if baseline not in (None, 0) else None
    return {
        "metric": metric,
        "chorus": chorus,
        "baseline": baseline,
        "unit": unit,
        "ratio": ratio,
        "target": target,
        "met": met,
    }


# --- accounts and households ------------------------------------------------------------------


def sign_up_users(services: Any, count: int) -> list[tuple[str, str]]:
    """(firebase uid, ID token) of `count` new emulator users."""
    from bench.common import sign_up_users as sign_up_many

    host, project = services.firebase_auth_emulator_host, services.firebase_project_id
    return sign_up_many(host, project, count, prefix="relay-bench")


async def seed(uids: list[str], households: int) -> tuple[list[uuid.UUID], dict[uuid.UUID, set[int]]]:
    """Chorus accounts for the users, the households, and who belongs where (user index sets)."""
    from sqlalchemy import insert

    from shared import db
    from shared.models import Household, Membership, User

    user_ids = [uuid.uuid4() for _ in uids]
    household_ids = [uuid.uuid4() for _ in range(households)]
    members: dict[uuid.UUID, set[int]] = {household: set() for household in household_ids}
    rows = []
    for n in range(len(uids)):
        for household in {household_ids[n % households], household_ids[(n + 1) % households]}:
            members[household].add(n)
            rows.append({"household_id": household, "user_id": user_ids[n], "role": "member"})
    async with db.session_scope() as session:
        await session.execute(
            insert(User),
            [
                {"id": user_id, "firebase_uid": uid, "email": None, "display_name": f"Bench {n}"}
                for n, (user_id, uid) in enumerate(zip(user_ids, uids, strict=True))
            ],
        )
        await session.execute(
            insert(Household), [{"id": h, "name": f"Bench {h}", "timezone": "UTC"} for h in household_ids]
        )
        await session.execute(insert(Membership), rows)
        await session.commit()
    return household_ids, members


# --- the two servers --------------------------------------------------------------------------


@dataclass
class Server:
    system: str
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def url(self) -> str:
        if self.system == "chorus":
            return f"ws://127.0.0.1:{self.port}/ws"
        return f"ws://127.0.0.1:{self.port}/socket.io/?EIO=4&transport=websocket"


async def start_server(system: str, pinned: bool, logdir: Path) -> Server:
    port = free_port()
    if system == "chorus":
        command = ["chorus", "relay", "--host", "127.0.0.1", "--port", str(port)]
    else:
        command = [str(BENCH / "baseline" / "socketio_server.py"), "--port", str(port)]
    command = [sys.executable, "-c", GC_PROBE, *command]
    if pinned:
        command = ["taskset", "-c", "0", *command]  # taskset execs: same pid
    log = logdir / f"{system}-{port}.log"
    with log.open("ab") as output:
        process = subprocess.Popen(  # noqa: ASYNC220 - started once, before anything is measured
            command, stdout=output, stderr=subprocess.STDOUT, cwd=ROOT
        )
    server = Server(system, process, port, log)
    deadline = time.monotonic() + 30
    async with httpx.AsyncClient() as http:
        while True:
            if process.poll() is not None or time.monotonic() > deadline:
                await stop_server(server)
                raise RuntimeError(f"{system} did not start: {log.read_text()[-2000:]}")
            with contextlib.suppress(httpx.TransportError):
                if (await http.get(f"http://127.0.0.1:{port}/readyz", timeout=1)).status_code == 200:
                    return server
            await asyncio.sleep(0.1)


def gc_pauses(server: Server, start: float, end: float) -> list[tuple[int, float]]:
    """(generation, seconds) of the server's collections of 2 ms or more that started in [start, end]."""
    pauses = []
    for line in server.log.read_text(errors="replace").splitlines():
        if line.startswith("gc-pause "):
            _, generation, at, pause = line.split()
            if start <= float(at) <= end:
                pauses.append((int(generation), float(pause)))
    return pauses


async def stop_server(server: Server) -> None:
    server.process.terminate()
    for _ in range(150):
        if server.process.poll() is not None:
            return
        await asyncio.sleep(0.1)
    server.process.kill()
    server.process.wait()


# --- clients ----------------------------------------------------------------------------------


class Client:
    def __init__(self, index: int, user: int) -> None:
        self.index = index
        self.user = user
        self.ws: Any = None
        self.frames: list[tuple[str, int, float]] = []  # (household, seq, perf_counter at receipt)
        self.closed_code: int | None = None


async def connect_client(system: str, url: str, token: str, compression: bool, **options: Any) -> Any:
    """An authenticated connection, ready for events (`options` go to websockets' connect)."""
    from websockets.asyncio.client import connect

    ws = await connect(
        url,
        open_timeout=30,
        ping_interval=None,  # both servers send their own application-level pings
        compression="deflate" if compression else None,
        max_queue=None,
        **options,
    )
    try:
        async with asyncio.timeout(30):
            if system == "chorus":
                await ws.send(json.dumps({"type": "auth", "token": token, "since": {}}))
                ready = json.loads(await ws.recv())
                if ready.get("type") != "ready":
                    raise RuntimeError(f"not ready: {ready}")
            else:
                opened = await ws.recv()  # engine.io OPEN: 0{"sid": …, "pingInterval": …}
                if not str(opened).startswith("0"):
                    raise RuntimeError(f"no engine.io open packet: {opened!r}")
                await ws.send("40" + json.dumps({"token": token}))  # Socket.IO CONNECT, "/" namespace
                answer = str(await ws.recv())
                while answer == "2":  # an engine.io ping came first
                    await ws.send("3")
                    answer = str(await ws.recv())
                if not answer.startswith("40"):
                    raise RuntimeError(f"socket.io connect refused: {answer[:200]}")
    except BaseException:
        await ws.close()
        raise
    return ws


async def listen(system: str, client: Client) -> None:
    """Record every event frame until the connection closes or the task is cancelled; answer
    engine.io pings (the Chorus relay's pings need no answer)."""
    from websockets.exceptions import ConnectionClosed

    frames = client.frames
    clock = time.perf_counter
    ws = client.ws
    try:
        if system == "chorus":
            async for raw in ws:
                now = clock()
                message = json.loads(raw)
                if message.get("type") == "event":
                    frames.append((message["household_id"], message["seq"], now))
        else:
            async for raw in ws:
                now = clock()
                if raw == "2":
                    await ws.send("3")
                elif raw.startswith("42"):
                    name, message = json.loads(raw[2:])
                    if name == "event":
                        frames.append((message["household_id"], message["seq"], now))
    except ConnectionClosed as closed:
        client.closed_code = closed.rcvd.code if closed.rcvd is not None else -1


# --- events -----------------------------------------------------------------------------------


class RedisTap:
    """A Redis subscriber of its own in this process: when each event's message reached Redis
    subscribers (as the server under test would see it), to split the latency into the writer's
    part (commit to PUBLISH) and the server's (message to frame)."""

    def __init__(self) -> None:
        self.seen: dict[tuple[str, int], float] = {}
        self.task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        import redis.asyncio as redis

        client = redis.from_url(os.environ["REDIS_URL"])
        pubsub = client.pubsub()
        await pubsub.psubscribe("household:*")
        await pubsub.subscribe("socketio")
        ready = asyncio.Event()

        async def run() -> None:
            try:
                ready.set()
                while True:
                    message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
                    if message is None:
                        continue
                    now = time.perf_counter()
                    data = json.loads(message["data"])
                    if message["type"] == "message":  # Socket.IO: {"method": "emit", "data": [event], …}
                        if data.get("method") != "emit" or not data.get("data"):
                            continue
                        data = data["data"][0] if isinstance(data["data"], list) else data["data"]
                    with contextlib.suppress(KeyError, TypeError):
                        self.seen.setdefault((str(data["household_id"]), int(data["seq"])), now)
            finally:
                await pubsub.aclose()  # type: ignore[no-untyped-call]
                await client.aclose()

        self.task = asyncio.create_task(run())
        await ready.wait()

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            await asyncio.gather(self.task, return_exceptions=True)


@dataclass
class Written:
    committed: dict[tuple[str, int], tuple[float, float]] = field(default_factory=dict)
    commit_calls: list[float] = field(default_factory=list)
    expected: int = 0
    first: float = 0.0


async def commit_one(
    system: str, household: uuid.UUID, n: int, fanout: dict[uuid.UUID, int], emitter: Any, written: Written
) -> None:
    """One event in its own transaction, committed the way `system` publishes it."""
    from sqlalchemy import event as sa_event

    from shared import db, events

    async with db.session_scope() as session:
        seq = await events.record(
            session, household_id=household, kind="bench.ping", payload={"n": n, "pad": "x" * 64}
        )
        acked: list[float] = []

        def listener(_session: Any) -> None:
            acked.append(time.perf_counter())

        sa_event.listen(session.sync_session, "after_commit", listener)
        before = time.perf_counter()
        if system == "chorus":
            await events.commit(session)
        else:
            await session.commit()
            events.discard(session)
            message = {
                "type": "event",
                "household_id": str(household),
                "seq": seq,
                "event": "bench.ping",
                "payload": {"n": n, "pad": "x" * 64},
                "created_at": datetime.now(UTC).isoformat(),
            }
            await emitter.emit("event", message, room=str(household))
        written.commit_calls.append(time.perf_counter() - before)
        sa_event.remove(session.sync_session, "after_commit", listener)
    written.committed[(str(household), seq)] = (before, acked[0])
    written.expected += fanout[household]


async def write_events(
    system: str,
    households: list[uuid.UUID],
    fanout: dict[uuid.UUID, int],
    count: int,
    args: argparse.Namespace,
    emitter: Any,
    seed_value: int,
) -> Written:
    """`count` events round-robin over the households, one every `--min-gap`..`--max-gap` seconds."""
    written = Written(first=time.perf_counter())
    rng = random.Random(seed_value)
    next_at = written.first
    for n in range(count):
        await commit_one(system, households[n % len(households)], n, fanout, emitter, written)
        next_at += rng.uniform(args.min_gap, args.max_gap)
        await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
    return written


async def publish_burst(
    system: str,
    households: list[uuid.UUID],
    fanout: dict[uuid.UUID, int],
    count: int,
    rate: float,
    emitter: Any,
) -> Written:
    """`count` events recorded in the outbox in one transaction, then published straight to Redis at
    `rate` per second, as each system's writers would publish them: the same message stream for
    both servers, at a rate the writers' database path need not keep up with. The clock starts
    right before each PUBLISH."""
    import redis.asyncio as redis
    from sqlalchemy import select

    from shared import db, events
    from shared.models import Household, OutboxEvent

    items = [
        (households[n % len(households)], "bench.burst", {"n": n, "pad": "x" * 64}) for n in range(count)
    ]
    async with db.session_scope() as session:
        seq_before = {
            household: int(seq)
            for household, seq in await session.execute(
                select(Household.id, Household.event_seq).where(Household.id.in_(households))
            )
        }
        await events.record_many(session, items)
        await session.commit()
        events.discard(session)
        rows = [
            row
            for row in await session.scalars(
                select(OutboxEvent).where(
                    OutboxEvent.household_id.in_(households), OutboxEvent.type == "bench.burst"
                )
            )
            if row.seq > seq_before[row.household_id]
        ]
    rows.sort(key=lambda row: (row.seq, str(row.household_id)))  # round-robin, each household in order
    client = redis.from_url(os.environ["REDIS_URL"])
    written = Written(first=time.perf_counter())
    try:
        for n, event in enumerate(rows):
            await asyncio.sleep(max(0.0, written.first + n / rate - time.perf_counter()))
            before = time.perf_counter()
            if system == "chorus":
                await client.publish(events.channel(event.household_id), events.wire(event))
            else:
                message = {
                    "type": "event",
                    "household_id": str(event.household_id),
                    "seq": event.seq,
                    "event": event.type,
                    "payload": event.payload,
                    "created_at": event.created_at.isoformat(),
                }
                await emitter.emit("event", message, room=str(event.household_id))
            written.committed[(str(event.household_id), event.seq)] = (before, before)
            written.expected += fanout[event.household_id]
    finally:
        await client.aclose()
    return written


async def drain(clients: list[Client], expected: int, seconds: float) -> None:
    """Wait (bounded) until every expected frame arrived."""
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        if sum(len(client.frames) for client in clients) >= expected:
            return
        await asyncio.sleep(0.02)


# --- one phase: one system, N clients ---------------------------------------------------------


@dataclass
class Phase:
    system: str
    clients: int
    connected: int = 0
    failed: int = 0
    failure: str = ""
    connect_seconds: float = 0.0
    connect_cpu: float = 0.0
    rss_idle_kib: int = 0
    rss_connected_kib: int = 0
    idle_cpu_rate: float = 0.0
    expected: int = 0
    delivered: int = 0
    unknown: int = 0
    duplicates: int = 0
    closed_early: int = 0
    from_commit: list[float] = field(default_factory=list)
    from_before: list[float] = field(default_factory=list)
    from_publish: list[float] = field(default_factory=list)  # message at a Redis subscriber -> frame
    commit_to_publish: list[float] = field(default_factory=list)  # per event
    commit_calls: list[float] = field(default_factory=list)
    cpu_events: float = 0.0
    event_wall: float = 0.0
    fanout: float = 0.0
    gc_idle: list[tuple[int, float]] = field(default_factory=list)  # (generation, seconds)
    gc_events: list[tuple[int, float]] = field(default_factory=list)
    gc_burst: list[tuple[int, float]] = field(default_factory=list)
    late_events: int = 0  # events with at least one frame after 25 ms
    late_frames: int = 0
    burst_expected: int = 0  # the burst: events published straight to Redis at --burst-rate
    burst_from_commit: list[float] = field(default_factory=list)
    burst_cpu: float = 0.0
    burst_wall: float = 0.0
    # CPU of this process (writers, clients) over the phase, as a share of one core: near 1.0, the
    # load generator and not the server sets the latency.
    generator_busy: float = 0.0
    burst_generator_busy: float = 0.0

    def p(self, fraction: float, values: list[float] | None = None) -> float:
        values = self.from_commit if values is None else values
        return percentile(values, fraction) * 1000 if values else float("nan")

    @property
    def per_cpu_second(self) -> float:
        return self.delivered / self.cpu_events if self.cpu_events > 0 else float("nan")

    @property
    def burst_rate(self) -> float:
        return len(self.burst_from_commit) / self.burst_wall if self.burst_wall > 0 else float("nan")

    @property
    def burst_per_cpu_second(self) -> float:
        return len(self.burst_from_commit) / self.burst_cpu if self.burst_cpu > 0 else float("nan")

    def burst_p(self, fraction: float) -> float:
        values = self.burst_from_commit
        return percentile(values, fraction) * 1000 if values else float("nan")

    def gc_text(self, pauses: list[tuple[int, float]]) -> str:
        if not pauses:
            return "none"
        worst = max(pause for _, pause in pauses)
        full = sum(1 for generation, _ in pauses if generation == 2)
        total = sum(pause for _, pause in pauses) * 1000
        return f"{len(pauses)} ({full} full), {total:.0f} ms, worst {worst * 1000:.0f} ms"


async def run_phase(
    server: Server,
    clients_count: int,
    users: list[tuple[str, str]],
    household_ids: list[uuid.UUID],
    members: dict[uuid.UUID, set[int]],
    args: argparse.Namespace,
    profile_to: Path | None,
) -> tuple[Phase, str | None]:
    system = server.system
    phase = Phase(system, clients_count)
    clients = [Client(n, n % len(users)) for n in range(clients_count)]
    phase.rss_idle_kib = rss_kib(server.pid)

    print(f"  {system}: connecting {clients_count} clients ...", flush=True)
    cpu_before_connect = cpu_seconds(server.pid)
    started = time.perf_counter()
    gate = asyncio.Semaphore(args.connect_concurrency)
    errors: Counter[str] = Counter()

    async def connect_one(client: Client) -> None:
        async with gate:
            try:
                client.ws = await connect_client(system, server.url, users[client.user][1], args.compression)
            except Exception as error:
                errors[f"{type(error).__name__}: {str(error)[:120]}"] += 1

    async with asyncio.timeout(args.connect_timeout):
        await asyncio.gather(*(connect_one(client) for client in clients))
    phase.connect_seconds = time.perf_counter() - started
    phase.connect_cpu = cpu_seconds(server.pid) - cpu_before_connect
    clients = [client for client in clients if client.ws is not None]
    phase.connected, phase.failed = len(clients), clients_count - len(clients)
    phase.failure = "; ".join(f"{count} x {text}" for text, count in errors.most_common(3))
    if phase.failed:
        print(f"  {system}: {phase.failed} connections failed: {phase.failure}", flush=True)

    conns_of_user: Counter[int] = Counter(client.user for client in clients)
    fanout = {h: sum(conns_of_user[u] for u in members[h]) for h in household_ids}
    phase.fanout = statistics.mean(fanout.values())
    listeners = [asyncio.create_task(listen(system, client)) for client in clients]
    await asyncio.sleep(1.0)  # let the server settle (workers started, nothing in flight)
    phase.rss_connected_kib = rss_kib(server.pid)
    idle_before, idle_started = cpu_seconds(server.pid), time.perf_counter()
    await asyncio.sleep(3.0)
    phase.idle_cpu_rate = (cpu_seconds(server.pid) - idle_before) / (time.perf_counter() - idle_started)
    phase.gc_idle = gc_pauses(server, idle_started, time.perf_counter())

    emitter: Any = None
    if system == "socketio":
        import socketio  # type: ignore[import-untyped]

        emitter = socketio.AsyncRedisManager(os.environ["REDIS_URL"], write_only=True)
    tap = RedisTap()
    await tap.start()

    print(f"  {system}: committing {args.events} events ...", flush=True)
    cpu_before, own_before = cpu_seconds(server.pid), time.process_time()
    written = await write_events(system, household_ids, fanout, args.events, args, emitter, 1)
    await drain(clients, written.expected, args.drain_seconds)
    last_frame = max((f[2] for client in clients for f in client.frames), default=time.perf_counter())
    phase.cpu_events = cpu_seconds(server.pid) - cpu_before
    phase.event_wall = last_frame - written.first
    phase.generator_busy = (time.process_time() - own_before) / (time.perf_counter() - written.first)
    phase.expected, phase.commit_calls = written.expected, written.commit_calls
    phase.gc_events = gc_pauses(server, written.first, last_frame)

    seen: set[tuple[int, str, int]] = set()
    late: Counter[tuple[str, int]] = Counter()
    dump: list[tuple[int, str, int, float, float, float]] = []
    for client in clients:
        for frame_household, seq, at in client.frames:
            times = written.committed.get((frame_household, seq))
            if times is None:
                phase.unknown += 1
                continue
            if (client.index, frame_household, seq) in seen:
                phase.duplicates += 1
                continue
            seen.add((client.index, frame_household, seq))
            phase.from_before.append(at - times[0])
            phase.from_commit.append(at - times[1])
            published = tap.seen.get((frame_household, seq))
            if published is not None:
                phase.from_publish.append(at - published)
            if at - times[1] > 0.025:
                late[(frame_household, seq)] += 1
            if args.dump:
                dump.append((client.index, frame_household, seq, times[0], times[1], at))
    phase.delivered = len(phase.from_commit)
    phase.commit_to_publish = [
        tap.seen[key] - acked for key, (_, acked) in written.committed.items() if key in tap.seen
    ]
    phase.late_events, phase.late_frames = len(late), sum(late.values())
    if args.dump:
        with Path(args.dump).open("a") as out:  # noqa: ASYNC230 - after the measurement
            out.write(json.dumps({"system": system, "clients": clients_count, "frames": dump}) + "\n")

    if args.burst_events:
        for client in clients:
            client.frames.clear()
        print(f"  {system}: publishing {args.burst_events} events at {args.burst_rate:.0f}/s ...", flush=True)
        cpu_before, own_before = cpu_seconds(server.pid), time.process_time()
        burst = await publish_burst(
            system, household_ids, fanout, args.burst_events, args.burst_rate, emitter
        )
        await drain(clients, burst.expected, args.drain_seconds)
        last_frame = max((f[2] for client in clients for f in client.frames), default=time.perf_counter())
        phase.burst_cpu = cpu_seconds(server.pid) - cpu_before
        phase.burst_wall = last_frame - burst.first
        phase.burst_generator_busy = (time.process_time() - own_before) / (time.perf_counter() - burst.first)
        phase.gc_burst = gc_pauses(server, burst.first, last_frame)
        phase.burst_expected = burst.expected
        phase.burst_from_commit = [
            at - burst.committed[(h, seq)][1]
            for client in clients
            for h, seq, at in client.frames
            if (h, seq) in burst.committed
        ]

    profile: str | None = None
    if profile_to is not None:
        for client in clients:
            client.frames.clear()
        profile = await profile_batch(server, clients, household_ids, fanout, args, emitter, profile_to)

    await tap.stop()
    for task in listeners:
        task.cancel()
    await asyncio.gather(*listeners, return_exceptions=True)
    phase.closed_early = sum(1 for client in clients if client.closed_code is not None)
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(60):
            await asyncio.gather(*(client.ws.close() for client in clients), return_exceptions=True)
    if emitter is not None and emitter.redis is not None:
        await emitter.redis.aclose()
    return phase, profile


# --- profile ----------------------------------------------------------------------------------


async def profile_batch(
    server: Server,
    clients: list[Client],
    household_ids: list[uuid.UUID],
    fanout: dict[uuid.UUID, int],
    args: argparse.Namespace,
    emitter: Any,
    raw: Path,
) -> str | None:
    """Another batch of events while py-spy samples the server; a summary of where it spent CPU."""
    if not PY_SPY.exists():
        return None
    print(f"  {server.system}: profiling {args.profile_events} more events with py-spy ...", flush=True)
    spy = subprocess.Popen(  # noqa: ASYNC220 - before the profiled batch
        [str(PY_SPY), "record", "--pid", str(server.pid), "--rate", "250", "--format", "raw", "-o", str(raw)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    await asyncio.sleep(1.0)  # py-spy attaches
    written = await publish_burst(
        server.system, household_ids, fanout, args.profile_events, args.burst_rate, emitter
    )
    await drain(clients, written.expected, args.drain_seconds)
    spy.send_signal(signal.SIGINT)
    try:
        _, stderr = await asyncio.to_thread(spy.communicate, timeout=30)
    except subprocess.TimeoutExpired:
        spy.kill()
        spy.wait()
        return None
    if not raw.exists():  # noqa: ASYNC240 - after the batch
        print(f"  py-spy wrote nothing: {stderr.decode()[-500:]}", flush=True)
        return None
    return summarize_profile(raw)


def _frame_name(frame: str) -> str:
    """`function (path:line)` -> `function (short path)`, one name per function."""
    name, _, where = frame.partition(" (")
    path = where.rstrip(")").rsplit(":", 1)[0]
    for marker in ("site-packages/", "/lib/python3", str(ROOT) + "/"):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    return f"{name} ({path})" if path else name


COMPONENTS = [  # (label, where the sampled frame's code lives), first match wins
    ("event loop itself (uvloop's C: socket I/O, scheduling)", "Runner.run (asyncio/runners.py)"),
    ("Redis client (redis-py, pure-Python RESP parser)", "asyncio/streams.py"),
    ("asyncio queues, locks, timeouts, tasks", "asyncio/"),
    ("WebSocket framing and permessage-deflate (websockets, uvicorn)", "websockets"),
    ("Starlette WebSocket wrapper", "starlette/"),
    ("Redis client (redis-py, pure-Python RESP parser)", "redis/"),
    ("JSON", "json/"),
    ("the relay's own code (functions/relay.py)", "functions/relay.py"),
    ("Socket.IO / engine.IO", "socketio/"),
    ("Socket.IO / engine.IO", "engineio/"),
    ("Prometheus metrics", "prometheus_client/"),
    ("uuid, datetime", "uuid.py"),
    ("uuid, datetime", "datetime"),
]


def component(leaf: str) -> str:
    for label, marker in COMPONENTS:
        if marker in leaf:
            return label
    return "other"


def summarize_profile(raw: Path, top: int = 18) -> str:
    """Self and inclusive shares of the on-CPU samples, by component and by function."""
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    parts: Counter[str] = Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        names = [_frame_name(frame) for frame in stack.split(";")[1:]]  # [0] is the thread
        if not names:
            continue
        total += count
        own[names[-1]] += count
        parts[component(names[-1])] += count
        for name in set(names):
            inclusive[name] += count
    if total == 0:
        return "py-spy: no samples"
    lines = [f"py-spy, {total} on-CPU samples at 250 Hz (raw stacks: {raw})", "", "self time by component:"]
    lines += [f"  {100 * n / total:5.1f}%  {name}" for name, n in parts.most_common()]
    lines += ["", "self time:"]
    lines += [f"  {100 * n / total:5.1f}%  {name}" for name, n in own.most_common(top)]
    # Leave out the frames every sample goes through (the CLI, uvicorn's and asyncio's run loops).
    below = [(name, n) for name, n in inclusive.most_common() if n < 0.97 * total]
    lines += ["", "inclusive time:"]
    lines += [f"  {100 * n / total:5.1f}%  {name}" for name, n in below[: top + 6]]
    return "\n".join(lines)


# --- the run ----------------------------------------------------------------------------------


async def run_all(
    args: argparse.Namespace, services: Any, pinned: bool, logdir: Path
) -> tuple[list[Phase], str | None]:
    from shared import db, events

    phases: list[Phase] = []
    profile: str | None = None
    for index, clients_count in enumerate(args.clients):
        user_count = max(1, clients_count // args.clients_per_user)
        print(f"{clients_count} clients: signing up {user_count} users on the emulator ...", flush=True)
        users = await asyncio.to_thread(sign_up_users, services, user_count)
        household_ids, members = await seed([uid for uid, _ in users], user_count)
        for system in args.systems:
            server = await start_server(system, pinned, logdir)
            profile_to = None
            if args.profile and index == 0 and system == "chorus":
                profile_to = logdir / "relay-profile.txt"
            try:
                phase, summary = await run_phase(
                    server, clients_count, users, household_ids, members, args, profile_to
                )
            finally:
                await stop_server(server)
            phases.append(phase)
            profile = summary or profile
            print_phase(phase)
    await events.close()
    await db.dispose_engine()
    return phases, profile


def print_phase(phase: Phase) -> None:
    def ms(value: float) -> str:
        return f"{value * 1000:8.1f}"

    print(
        f"  {LABEL[phase.system]}: {phase.connected} of {phase.clients} connected in "
        f"{phase.connect_seconds:.1f} s (server CPU {phase.connect_cpu:.2f} s), "
        f"~{phase.fanout:.0f} connections per event, RSS {phase.rss_idle_kib / 1024:.0f} -> "
        f"{phase.rss_connected_kib / 1024:.0f} MiB"
    )
    print(f"    {'latency (ms)':<34}{'p50':>8}{'p99':>8}{'max':>8}")
    for label, values in [
        ("commit ack -> frame received", phase.from_commit),
        ("  commit ack -> message in Redis", phase.commit_to_publish),
        ("  message in Redis -> frame", phase.from_publish),
        ("before the commit call -> frame", phase.from_before),
        ("commit + publish call (for scale)", phase.commit_calls),
    ]:
        if values:
            print(
                f"    {label:<34}{ms(percentile(values, 0.5))}{ms(percentile(values, 0.99))}{ms(max(values))}"
            )
    extra = [
        f"{phase.unknown} unknown frames" if phase.unknown else "",
        f"{phase.duplicates} duplicates" if phase.duplicates else "",
        f"{phase.closed_early} closed by the server" if phase.closed_early else "",
    ]
    print(
        f"    deliveries {phase.delivered} of {phase.expected}"
        + "".join(f", {text}" for text in extra if text)
        + f"; server CPU {phase.cpu_events:.2f} s in {phase.event_wall:.1f} s "
        f"(idle {phase.idle_cpu_rate * 100:.1f}% of a core): {phase.per_cpu_second:,.0f} deliveries per "
        f"CPU-second",
        flush=True,
    )
    print(
        f"    frames after 25 ms: {phase.late_frames} of {phase.late_events} events; GC pauses >= 2 ms: "
        f"{phase.gc_text(phase.gc_events)} in the event phase, {phase.gc_text(phase.gc_idle)} "
        f"in the 3 s idle; load generator busy {phase.generator_busy * 100:.0f}% of CPU 1",
        flush=True,
    )
    if phase.burst_expected:
        print(
            f"    burst: {len(phase.burst_from_commit)} of {phase.burst_expected} deliveries in "
            f"{phase.burst_wall:.1f} s ({len(phase.burst_from_commit) / phase.burst_wall:,.0f}/s), "
            f"p50/p99 {phase.burst_p(0.5):.1f}/{phase.burst_p(0.99):.1f} ms; server CPU "
            f"{phase.burst_cpu:.2f} s: {phase.burst_per_cpu_second:,.0f} deliveries per CPU-second; load "
            f"generator busy {phase.burst_generator_busy * 100:.0f}% of CPU 1; GC pauses >= 2 ms: "
            f"{phase.gc_text(phase.gc_burst)}",
            flush=True,
        )


def results(
    args: argparse.Namespace, phases: list[Phase], pinned: bool
) -> tuple[list[dict[str, Any]], list[str]]:
    by = {(phase.system, phase.clients): phase for phase in phases}
    rows: list[dict[str, Any]] = []
    for clients_count in args.clients:
        chorus, base = by.get(("chorus", clients_count)), by.get(("socketio", clients_count))
        if chorus is None:
            continue
        n = f"{clients_count:,} clients"
        target = "< 25 ms" if clients_count == 1000 else None
        p99 = chorus.p(0.99)
        rows += [
            row(
                f"push latency p50, commit to frame, {n} (ms, lower is better)",
                chorus.p(0.5),
                base.p(0.5) if base else None,
                "ms",
            ),
            row(
                f"push latency p99, commit to frame, {n} (ms, lower is better)",
                p99,
                base.p(0.99) if base else None,
                "ms",
                target,
                p99 < 25 if target else None,
            ),
            row(
                f"deliveries per server CPU-second, paced events, {n} (higher is better)",
                chorus.per_cpu_second,
                base.per_cpu_second if base else None,
                "deliveries/CPU-s",
            ),
            row(
                f"server-side latency p99, message in Redis to frame, {n} (ms, lower is better)",
                chorus.p(0.99, chorus.from_publish),
                base.p(0.99, base.from_publish) if base else None,
                "ms",
            ),
            *(
                [
                    row(
                        f"deliveries per server CPU-second, burst of {args.burst_rate:.0f} events/s, {n} "
                        "(higher is better)",
                        chorus.burst_per_cpu_second,
                        base.burst_per_cpu_second if base else None,
                        "deliveries/CPU-s",
                    ),
                    row(
                        f"server-side latency p99 in the burst, PUBLISH to frame, {n} (ms, lower is better)",
                        chorus.burst_p(0.99),
                        base.burst_p(0.99) if base else None,
                        "ms",
                    ),
                ]
                if args.burst_events
                else []
            ),
            row(
                f"server CPU per connect, {n} (ms, lower is better)",
                chorus.connect_cpu / max(1, chorus.connected) * 1000,
                base.connect_cpu / max(1, base.connected) * 1000 if base else None,
                "ms",
            ),
        ]
    where = "pinned to CPU 0, everything else on CPU 1" if pinned else "not pinned (no taskset)"
    notes = [
        "Baseline: python-socketio AsyncServer + AsyncRedisManager under uvicorn "
        f"(bench/baseline/socketio_server.py). Server {where}; permessage-deflate "
        f"{'on' if args.compression else 'off'}; {args.events} events per phase, one every "
        f"{args.min_gap * 1000:.0f}-{args.max_gap * 1000:.0f} ms; {args.clients_per_user} connections "
        "per user, 2 members per household.",
        "Latency is from PostgreSQL's COMMIT acknowledgement to the frame read by the client. Chorus's path "
        "after the commit: SELECT the outbox rows, COMMIT, PUBLISH, UPDATE published_at (after the "
        "publish); the baseline's: one PUBLISH by the emitter.",
    ]

    def split(values: list[float]) -> str:
        return (
            f"{percentile(values, 0.5) * 1000:.1f}/{percentile(values, 0.99) * 1000:.1f}" if values else "-"
        )

    for phase in phases:
        worst = max(phase.from_commit, default=float("nan")) * 1000
        per_connection = (phase.rss_connected_kib - phase.rss_idle_kib) / max(1, phase.connected)
        notes.append(
            f"{LABEL[phase.system]}, {phase.clients:,} clients: {phase.connected} connected"
            + (f" ({phase.failed} failed: {phase.failure})" if phase.failed else "")
            + f" in {phase.connect_seconds:.1f} s; {phase.delivered} of {phase.expected} frames delivered"
            + (f", {phase.duplicates} duplicates" if phase.duplicates else "")
            + (f", {phase.closed_early} connections closed by the server" if phase.closed_early else "")
            + f"; p50/p99/max {phase.p(0.5):.1f}/{phase.p(0.99):.1f}/{worst:.1f} ms (commit to message in "
            f"Redis {split(phase.commit_to_publish)}, message to frame {split(phase.from_publish)}); "
            "server CPU "
            f"{phase.cpu_events:.2f} s over {phase.event_wall:.1f} s, idle {phase.idle_cpu_rate * 100:.1f}% "
            f"of a core; RSS {phase.rss_idle_kib / 1024:.0f} -> {phase.rss_connected_kib / 1024:.0f} MiB "
            f"({per_connection:.1f} KiB per connection); frames after 25 ms: {phase.late_frames} in "
            f"{phase.late_events} events; GC pauses >= 2 ms in the event phase: "
            f"{phase.gc_text(phase.gc_events)}; load generator busy {phase.generator_busy * 100:.0f}% "
            "of CPU 1."
            + (
                f" Burst: {len(phase.burst_from_commit)} of {phase.burst_expected} deliveries in "
                f"{phase.burst_wall:.1f} s, p50/p99 {phase.burst_p(0.5):.1f}/{phase.burst_p(0.99):.1f} ms, "
                f"server CPU {phase.burst_cpu:.2f} s, load generator busy "
                f"{phase.burst_generator_busy * 100:.0f}% of CPU 1, GC pauses >= 2 ms: "
                f"{phase.gc_text(phase.gc_burst)}."
                if phase.burst_expected
                else ""
            )
        )
    return rows, notes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", default="1000,10000", help="client counts, comma-separated")
    parser.add_argument("--clients-per-user", type=int, default=10)
    parser.add_argument("--events", type=int, default=500, help="events per phase")
    parser.add_argument("--systems", default="chorus,socketio", help="chorus, socketio or both")
    parser.add_argument("--min-gap", type=float, default=0.010, help="seconds between events, at least")
    parser.add_argument("--max-gap", type=float, default=0.020, help="seconds between events, at most")
    parser.add_argument("--connect-concurrency", type=int, default=50)
    parser.add_argument("--connect-timeout", type=float, default=600.0)
    parser.add_argument("--drain-seconds", type=float, default=15.0, help="wait for late frames")
    parser.add_argument("--no-compression", dest="compression", action="store_false")
    parser.add_argument("--burst-events", type=int, default=4000, help="events in the burst (0: none)")
    parser.add_argument("--burst-rate", type=float, default=400.0, help="events per second in the burst")
    parser.add_argument("--no-profile", dest="profile", action="store_false")
    parser.add_argument("--profile-events", type=int, default=1000)
    parser.add_argument("--json", help="write the results here")
    parser.add_argument(
        "--gc-freeze",
        action="store_true",
        help="experiment: both servers call gc.collect() and gc.freeze() once the app is loaded",
    )
    parser.add_argument(
        "--gc-objects",
        action="store_true",
        help="diagnostic: the servers log how many objects the GC tracks after each full collection",
    )
    parser.add_argument("--dump", help="append every frame's timings here (JSON lines), for analysis")
    parser.add_argument("--quick", action="store_true", help="a small smoke run (< 60 s)")
    args = parser.parse_args()
    if args.quick:
        args.clients, args.events, args.profile_events, args.drain_seconds = "200", 60, 200, 5.0
        args.burst_events = 800
    args.clients = [int(part) for part in str(args.clients).split(",") if part.strip()]
    args.systems = [part.strip() for part in str(args.systems).split(",") if part.strip()]
    if not args.clients or min(args.clients) < 1 or args.events < 1 or args.clients_per_user < 1:
        parser.error("counts must be positive")
    if not set(args.systems) <= set(SYSTEMS):
        parser.error(f"systems are {', '.join(SYSTEMS)}")

    if args.gc_freeze:
        os.environ["BENCH_GC_FREEZE"] = "1"
    if args.gc_objects:
        os.environ["BENCH_GC_OBJECTS"] = "1"
    limit = raise_open_files()  # the servers inherit it
    if limit < max(args.clients) + 256:
        sys.exit(f"open-file limit {limit} is too low for {max(args.clients)} clients")

    from functions.devservices import running_services

    # This process and what it starts (PostgreSQL, Redis, the emulator, py-spy) on CPU 1; the
    # server under test alone on CPU 0.
    pinned = pin_to(1)
    logdir = Path(tempfile.mkdtemp(prefix="chorus-bench-relay-"))
    with running_services(logdir / "services", database_name="bench", log=lambda _: None) as services:
        os.environ.update(services.env())
        os.environ["LOG_LEVEL"] = "WARNING"
        subprocess.run([str(CHORUS), "migrate", "upgrade"], check=True, capture_output=True, cwd=ROOT)
        runner: Callable[..., Any] = asyncio.run
        with contextlib.suppress(ImportError):
            import uvloop

            runner = uvloop.run
        phases, profile = runner(run_all(args, services, pinned, logdir))
    rows, notes = results(args, phases, pinned)
    print()
    for entry in rows:
        ratio = f"{entry['ratio']:.2f}x" if entry["ratio"] is not None else "-"
        baseline = f"{entry['baseline']:,.1f}" if entry["baseline"] is not None else "-"
        print(f"{entry['metric']:<72} {entry['chorus']:>10,.1f} {baseline:>10} {ratio:>7}")
    if profile:
        print()
        print(profile)
    print(f"\nserver logs in {logdir}")
    write_json(args.json, "relay push latency", rows, notes, profile)


if __name__ == "__main__":
    main()
