"""The relay under load: commit-to-frame latency and deliveries per CPU-second of one `chorus relay`.

    .venv/bin/python bench/relay.py [--clients 1000] [--events 200] [--users 100] [--households 100]

Starts embedded services (or uses DATABASE_URL / REDIS_URL / FIREBASE_AUTH_EMULATOR_HOST when
set), migrates, signs up `--users` users on the Firebase Auth emulator and gives each a Chorus
account straight in SQL. User u is a member of households u and u+1 (mod `--households`), so with
the defaults every household has two members. Starts one `chorus relay` pinned to CPU 0 (with
`taskset`, when there is one) and runs this load generator on CPU 1; `--clients` WebSocket
connections authenticate with the users' tokens round-robin (many connections share a user).

Then `--events` events are written one every 10-20 ms, round-robin over the households, each in
its own transaction with `shared.events.record` + `shared.events.commit`, exactly as a service
writes them. Every frame received is timed against two clocks of the same process:

* "commit": when PostgreSQL acknowledged the COMMIT (SQLAlchemy's `after_commit`, which fires
  inside `events.commit` before it publishes to Redis): the latency a member sees after the
  change is durable. This is the headline figure.
* "before": right before `events.commit` was called, which adds the COMMIT round trip.

The relay's CPU time is its utime+stime from /proc/<pid>/stat over the event phase (first event
to the last frame received), so deliveries per CPU-second covers routing, JSON, WebSocket framing
(and permessage-deflate, which the client offers as browsers do; `--no-compression` turns it off).
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
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
CHORUS = Path(sys.executable).parent / "chorus"
CLK_TCK = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process (all its threads), in seconds."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # fields 14 and 15 of proc(5)


def raise_open_files(wanted: int) -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))]


def sign_up_users(services: Any, count: int) -> list[tuple[str, str]]:
    """(firebase uid, ID token) of `count` new emulator users."""
    from functions.devservices import sign_up

    run = uuid.uuid4().hex[:8]

    def one(n: int) -> tuple[str, str]:
        answer = sign_up(
            services.firebase_auth_emulator_host,
            f"relay-bench-{run}-{n}@example.com",
            "bench-password",
            project_id=services.firebase_project_id,
        )
        return answer["localId"], answer["idToken"]

    with ThreadPoolExecutor(8) as pool:
        return list(pool.map(one, range(count)))


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


class Client:
    def __init__(self, index: int, user: int) -> None:
        self.index = index
        self.user = user
        self.ws: Any = None
        self.frames: list[tuple[str, int, float]] = []  # (household, seq, perf_counter at receipt)
        self.closed_code: int | None = None


async def connect_client(client: Client, url: str, token: str, compression: bool) -> None:
    from websockets.asyncio.client import connect

    ws = await connect(
        url,
        open_timeout=30,
        ping_interval=None,  # the relay sends its own application-level pings
        compression="deflate" if compression else None,
        max_queue=None,
    )
    await ws.send(json.dumps({"type": "auth", "token": token, "since": {}}))
    ready = json.loads(await asyncio.wait_for(ws.recv(), 30))
    if ready.get("type") != "ready":
        raise RuntimeError(f"client {client.index}: {ready}")
    client.ws = ws


async def listen(client: Client) -> None:
    """Record every event frame until the connection closes or the task is cancelled."""
    from websockets.exceptions import ConnectionClosed

    frames = client.frames
    clock = time.perf_counter
    try:
        async for raw in client.ws:
            now = clock()
            message = json.loads(raw)
            if message.get("type") == "event":
                frames.append((message["household_id"], message["seq"], now))
    except ConnectionClosed as closed:
        client.closed_code = closed.rcvd.code if closed.rcvd is not None else None


async def run_load(args: argparse.Namespace, services: Any, relay_pid: int, url: str) -> dict[str, Any]:
    from sqlalchemy import event as sa_event

    from shared import db, events

    print(f"signing up {args.users} users on the emulator ...", flush=True)
    users = await asyncio.to_thread(sign_up_users, services, args.users)
    household_ids, members = await seed([uid for uid, _ in users], args.households)

    clients = [Client(n, n % args.users) for n in range(args.clients)]
    conns_of_user: dict[int, int] = {}
    for client in clients:
        conns_of_user[client.user] = conns_of_user.get(client.user, 0) + 1
    fanout = {h: sum(conns_of_user.get(u, 0) for u in members[h]) for h in household_ids}

    print(f"connecting {args.clients} clients ...", flush=True)
    cpu_before_connect = cpu_seconds(relay_pid)
    started = time.perf_counter()
    gate = asyncio.Semaphore(args.connect_concurrency)

    async def connect_one(client: Client) -> None:
        async with gate:
            await connect_client(client, url, users[client.user][1], args.compression)

    async with asyncio.timeout(120):
        await asyncio.gather(*(connect_one(client) for client in clients))
    connect_seconds = time.perf_counter() - started
    connect_cpu = cpu_seconds(relay_pid) - cpu_before_connect
    listeners = [asyncio.create_task(listen(client)) for client in clients]
    await asyncio.sleep(1.0)  # let the relay settle (workers started, nothing in flight)

    print(f"committing {args.events} events ...", flush=True)
    rng = random.Random(1)
    committed: dict[tuple[str, int], tuple[float, float]] = {}  # key -> (before commit, committed)
    commit_calls: list[float] = []
    expected = 0
    cpu_before = cpu_seconds(relay_pid)
    wall_before = time.perf_counter()
    next_at = time.perf_counter()
    for n in range(args.events):
        household = household_ids[n % len(household_ids)]
        async with db.session_scope() as session:
            seq = await events.record(
                session, household_id=household, kind="bench.ping", payload={"n": n, "pad": "x" * 64}
            )
            acked: list[float] = []

            def listener(_session: Any, acked: list[float] = acked) -> None:
                acked.append(time.perf_counter())

            sa_event.listen(session.sync_session, "after_commit", listener)
            before = time.perf_counter()
            await events.commit(session)
            commit_calls.append(time.perf_counter() - before)
            sa_event.remove(session.sync_session, "after_commit", listener)
        committed[(str(household), seq)] = (before, acked[0])
        expected += fanout[household]
        next_at += rng.uniform(args.min_gap, args.max_gap)
        await asyncio.sleep(max(0.0, next_at - time.perf_counter()))

    # Wait (bounded) for every expected frame.
    deadline = time.perf_counter() + args.drain_seconds
    while time.perf_counter() < deadline:
        if sum(len(client.frames) for client in clients) >= expected:
            break
        await asyncio.sleep(0.05)
    last_frame = max((f[2] for client in clients for f in client.frames), default=time.perf_counter())
    cpu_events = cpu_seconds(relay_pid) - cpu_before
    event_wall = last_frame - wall_before

    for task in listeners:
        task.cancel()
    await asyncio.gather(*listeners, return_exceptions=True)
    closed_early = sum(1 for client in clients if client.closed_code is not None)
    async with asyncio.timeout(30):
        await asyncio.gather(*(client.ws.close() for client in clients), return_exceptions=True)
    await events.close()
    await db.dispose_engine()

    from_commit: list[float] = []
    from_before: list[float] = []
    unknown = 0
    for client in clients:
        for frame_household, seq, at in client.frames:
            times = committed.get((frame_household, seq))
            if times is None:
                unknown += 1
                continue
            from_before.append(at - times[0])
            from_commit.append(at - times[1])
    return {
        "connect_seconds": connect_seconds,
        "connect_cpu": connect_cpu,
        "expected": expected,
        "delivered": len(from_commit),
        "unknown": unknown,
        "closed_early": closed_early,
        "from_commit": from_commit,
        "from_before": from_before,
        "commit_calls": commit_calls,
        "cpu_events": cpu_events,
        "event_wall": event_wall,
        "fanout": statistics.mean(fanout.values()),
    }


def report(args: argparse.Namespace, figures: dict[str, Any], pinned: bool) -> None:
    def ms(value: float) -> str:
        return f"{value * 1000:8.1f}"

    print()
    print(
        f"relay: {args.clients} clients, {args.users} users, {args.households} households "
        f"(~{figures['fanout']:.0f} connections each), {args.events} events, "
        f"compression {'on' if args.compression else 'off'}, "
        f"relay {'pinned to CPU 0' if pinned else 'not pinned (no taskset)'}"
    )
    print(
        f"connect: {args.clients} clients in {figures['connect_seconds']:.1f} s, "
        f"relay CPU {figures['connect_cpu']:.2f} s"
    )
    print(f"{'latency (ms)':<34}{'p50':>8}{'p99':>8}{'max':>8}")
    for label, values in [
        ("commit ack -> frame received", figures["from_commit"]),
        ("before events.commit -> frame", figures["from_before"]),
        ("events.commit call (for scale)", figures["commit_calls"]),
    ]:
        if values:
            print(f"{label:<34}{ms(percentile(values, 0.5))}{ms(percentile(values, 0.99))}{ms(max(values))}")
    delivered, cpu = figures["delivered"], figures["cpu_events"]
    print(
        f"deliveries: {delivered} of {figures['expected']} expected"
        + (f", {figures['unknown']} unknown frames" if figures["unknown"] else "")
        + (f", {figures['closed_early']} connections closed by the relay" if figures["closed_early"] else "")
    )
    print(
        f"relay CPU over the event phase: {cpu:.2f} s in {figures['event_wall']:.1f} s wall "
        f"({cpu / figures['event_wall'] * 100:.0f}% of one core); "
        + (f"{delivered / cpu:,.0f} deliveries per CPU-second" if cpu > 0 else "CPU too small to measure")
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--events", type=int, default=200)
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--households", type=int, default=100)
    parser.add_argument("--min-gap", type=float, default=0.010, help="seconds between events, at least")
    parser.add_argument("--max-gap", type=float, default=0.020, help="seconds between events, at most")
    parser.add_argument("--connect-concurrency", type=int, default=50)
    parser.add_argument("--drain-seconds", type=float, default=15.0, help="wait for late frames")
    parser.add_argument("--no-compression", dest="compression", action="store_false")
    args = parser.parse_args()
    if args.users < 1 or args.households < 1 or args.clients < 1 or args.events < 1:
        parser.error("counts must be positive")

    # Room for the clients' sockets here and the relay's (it inherits the limit).
    limit = raise_open_files(args.clients * 2 + 1024)
    if limit < args.clients + 256:
        sys.exit(f"open-file limit {limit} is too low for {args.clients} clients")

    from functions.devservices import running_services

    taskset = shutil.which("taskset")
    pinned = taskset is not None and (os.cpu_count() or 1) >= 2
    with running_services(
        Path(tempfile.mkdtemp(prefix="chorus-bench-")), database_name="bench", log=lambda _: None
    ) as services:
        os.environ.update(services.env())
        os.environ["LOG_LEVEL"] = "WARNING"
        subprocess.run([str(CHORUS), "migrate", "upgrade"], check=True, capture_output=True, cwd=ROOT)
        port = free_port()
        command = [str(CHORUS), "relay", "--host", "127.0.0.1", "--port", str(port)]
        if pinned:
            command = [str(taskset), "-c", "0", *command]  # taskset execs: same pid
        log = Path(tempfile.mkdtemp(prefix="chorus-relay-")) / "relay.log"
        with log.open("wb") as output:
            relay = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 30
            while True:
                if relay.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the relay did not start: {log.read_text()[-2000:]}")
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                time.sleep(0.1)
            if pinned:
                os.sched_setaffinity(0, {1})
            runner: Callable[..., Any] = asyncio.run
            with contextlib.suppress(ImportError):
                import uvloop

                runner = uvloop.run
            figures = runner(run_load(args, services, relay.pid, f"ws://127.0.0.1:{port}/ws"))
        finally:
            relay.terminate()
            try:
                relay.wait(15)
            except subprocess.TimeoutExpired:
                relay.kill()
                relay.wait()
    report(args, figures, pinned)
    tail = log.read_text().strip()
    if tail:
        print(f"relay log ({log}), last lines:\n{tail[-1500:]}")


if __name__ == "__main__":
    main()
