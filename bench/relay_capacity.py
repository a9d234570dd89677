"""Relay capacity: how many authenticated connections one relay process holds on this machine, and
its memory per connection, versus the python-socketio baseline (bench/baseline/socketio_server.py).

    .venv/bin/python bench/relay_capacity.py [--max 50000] [--json PATH] [--quick]

Starts embedded services (or uses DATABASE_URL / REDIS_URL / FIREBASE_AUTH_EMULATOR_HOST), signs
up `--users` users (each a member of two households) plus two probe users sharing a probe
household. For each system, one server process runs alone on CPU 0; this process and its load
generator workers run on CPU 1. The workers (`--worker` mode of this script, each on its own
loopback source address so ephemeral ports never run out, at most `--per-worker` connections each
so their own open-file limit never does) open authenticated connections in steps (1,000, 2,500,
5,000, then every `--step`) and keep reading them (answering engine.io pings), all idle.

After each step: the server's RSS (/proc/<pid>/status VmRSS), its open files, the connect time
and server CPU per connect, the idle CPU the connections cost (heartbeats) over 2 s, and a probe:
`--probe-events` events committed to the probe household (as bench/relay.py writes them) and the
commit-to-frame latency on 10 probe connections held by this process.

The ramp stops at the first of: `--max` connections (the ceiling), more than 1% of a step's
connects failing or timing out, the probe p99 above `--latency-bound` ms, RSS above
`--rss-bound` MiB, or the server dying. Then it says which. The open-file limit is raised to the
hard limit (`ulimit -Hn`) for every process; `--nofile N` raises the hard limit too, which needs
CAP_SYS_RESOURCE (root), to look past it.

Memory per connection is the least-squares slope of RSS over connections across the steps
(the first connection's one-off costs, such as the database pool, drop out).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from relay import (
    CHORUS,
    LABEL,
    ROOT,
    SYSTEMS,
    Client,
    Server,
    connect_client,
    cpu_seconds,
    drain,
    gc_pauses,
    listen,
    percentile,
    pin_to,
    raise_open_files,
    row,
    rss_kib,
    seed,
    sign_up_users,
    start_server,
    stop_server,
    write_events,
    write_json,
)

PROBE_CLIENTS = 10


def open_files(pid: int) -> int:
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return 0


def file_limit(pid: int) -> int:
    for line in Path(f"/proc/{pid}/limits").read_text().splitlines():
        if line.startswith("Max open files"):
            return int(line.split()[3])
    return 0


def raise_hard_limit(wanted: int) -> None:
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    if wanted > hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, wanted))


# --- worker mode: a load generator process driven over stdin/stdout ---------------------------


async def worker(args: argparse.Namespace) -> None:
    """Read commands (JSON lines) on stdin, answer on stdout:
    {"connect": [token, ...]} opens one connection per token; {"close": true} closes all and exits."""
    loop = asyncio.get_running_loop()
    stdin = asyncio.StreamReader(limit=1 << 26)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(stdin), sys.stdin)
    clients: list[Client] = []
    listeners: list[asyncio.Task[None]] = []
    gate = asyncio.Semaphore(args.connect_concurrency)
    options = {"local_addr": (args.source, 0)}

    def answer(message: dict[str, Any]) -> None:
        sys.stdout.write(json.dumps(message) + "\n")
        sys.stdout.flush()

    while line := await stdin.readline():
        command = json.loads(line)
        if "connect" in command:
            errors: Counter[str] = Counter()
            started = time.perf_counter()

            async def one(token: str, errors: Counter[str] = errors) -> None:
                async with gate:
                    client = Client(len(clients), 0)
                    try:
                        client.ws = await connect_client(
                            args.system, args.url, token, args.compression, **options
                        )
                    except Exception as error:
                        errors[f"{type(error).__name__}: {str(error)[:100]}"] += 1
                        return
                    clients.append(client)
                    listeners.append(asyncio.create_task(listen(args.system, client)))

            await asyncio.gather(*(one(token) for token in command["connect"]))
            answer(
                {
                    "connected": len(command["connect"]) - sum(errors.values()),
                    "failed": sum(errors.values()),
                    "errors": dict(errors.most_common(3)),
                    "seconds": time.perf_counter() - started,
                    "closed": sum(1 for client in clients if client.closed_code is not None),
                    "open": len(clients),
                }
            )
        elif command.get("close"):
            for task in listeners:
                task.cancel()
            await asyncio.gather(*listeners, return_exceptions=True)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(60):
                    await asyncio.gather(*(c.ws.close() for c in clients), return_exceptions=True)
            answer({"closed": len(clients)})
            return


class Worker:
    def __init__(self, index: int, system: str, url: str, args: argparse.Namespace, concurrency: int) -> None:
        command = [
            sys.executable, __file__, "--worker", "--system", system, "--url", url,
            "--source", f"127.0.0.{index + 2}", "--connect-concurrency", str(concurrency),
        ]  # fmt: skip
        if not args.compression:
            command.append("--no-compression")
        self.process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=sys.stderr, cwd=ROOT
        )

    def call(self, command: dict[str, Any]) -> dict[str, Any]:
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        self.process.stdin.write((json.dumps(command) + "\n").encode())
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError("a load generator worker died")
        answer: dict[str, Any] = json.loads(line)
        return answer

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self.call({"close": True})
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


# --- the ramp ----------------------------------------------------------------------------------


@dataclass
class Step:
    connections: int  # bulk + probe connections open on the server
    rss_kib: int
    open_files: int
    connect_seconds: float
    cpu_per_connect_ms: float
    idle_cpu_rate: float
    probe_p50_ms: float
    probe_p99_ms: float
    full_gcs: int  # full collections of 2 ms or more over the step, and the longest
    worst_gc_ms: float
    failed: int
    errors: dict[str, int]


@dataclass
class Ramp:
    system: str
    rss_start_kib: int = 0
    file_limit: int = 0
    steps: list[Step] = field(default_factory=list)
    stopped: str = ""

    @property
    def held(self) -> int:
        return self.steps[-1].connections if self.steps else 0

    def last_good(self) -> Step | None:
        """The last step whose connects (nearly) all succeeded: the one to read figures from."""
        good = [step for step in self.steps if step.failed <= 0.01 * step.connections]
        return good[-1] if good else None

    def slope_kib(self) -> float:
        """Least-squares RSS per connection across the steps."""
        points = [(step.connections, step.rss_kib) for step in self.steps]
        if len(points) < 2:
            return (points[0][1] - self.rss_start_kib) / points[0][0] if points else math.nan
        mean_x = sum(x for x, _ in points) / len(points)
        mean_y = sum(y for _, y in points) / len(points)
        spread = sum((x - mean_x) ** 2 for x, _ in points)
        return sum((x - mean_x) * (y - mean_y) for x, y in points) / spread if spread else math.nan


def step_targets(maximum: int, step: int) -> list[int]:
    targets = [n for n in (1000, 2500, 5000) if n < maximum]
    n = 5000 + step
    while n < maximum:
        targets.append(n)
        n += step
    return [*targets, maximum]


async def probe(
    server: Server,
    probe_clients: list[Client],
    household: uuid.UUID,
    args: argparse.Namespace,
    emitter: Any,
    seed_value: int,
) -> tuple[float, float]:
    for client in probe_clients:
        client.frames.clear()
    live = [client for client in probe_clients if client.closed_code is None]
    written = await write_events(
        server.system, [household], {household: len(live)}, args.probe_events, args, emitter, seed_value
    )
    await drain(live, written.expected, 10.0)
    latencies = [
        at - written.committed[(h, seq)][1]
        for client in live
        for h, seq, at in client.frames
        if (h, seq) in written.committed
    ]
    if len(latencies) < written.expected:  # a missing frame counts as beyond any bound
        latencies += [math.inf] * (written.expected - len(latencies))
    return percentile(latencies, 0.5) * 1000, percentile(latencies, 0.99) * 1000


async def ramp(
    system: str,
    args: argparse.Namespace,
    users: list[tuple[str, str]],
    probe_tokens: list[str],
    probe_household: uuid.UUID,
    pinned: bool,
    logdir: Path,
) -> Ramp:
    server = await start_server(system, pinned, logdir)
    if args.server_nofile:
        resource.prlimit(server.pid, resource.RLIMIT_NOFILE, (args.server_nofile, args.server_nofile))
    result = Ramp(system, file_limit=file_limit(server.pid))
    workers: list[Worker] = []
    probe_clients: list[Client] = []
    listeners: list[asyncio.Task[None]] = []
    emitter: Any = None
    if system == "socketio":
        import socketio  # type: ignore[import-untyped]

        emitter = socketio.AsyncRedisManager(os.environ["REDIS_URL"], write_only=True)
    try:
        await asyncio.sleep(1.0)
        result.rss_start_kib = rss_kib(server.pid)
        for n in range(PROBE_CLIENTS):
            client = Client(n, n % len(probe_tokens))
            client.ws = await connect_client(system, server.url, probe_tokens[client.user], args.compression)
            probe_clients.append(client)
            listeners.append(asyncio.create_task(listen(system, client)))
        count = math.ceil(args.max / args.per_worker)
        concurrency = max(1, args.connect_concurrency // count)  # the total stays the same
        workers = [Worker(index, system, server.url, args, concurrency) for index in range(count)]
        bulk = 0
        for number, target in enumerate(step_targets(args.max, args.step)):
            wanted = target - PROBE_CLIENTS - bulk
            if wanted <= 0:
                continue
            shares = [
                wanted // len(workers) + (1 if i < wanted % len(workers) else 0) for i in range(len(workers))
            ]
            cpu_before, started = cpu_seconds(server.pid), time.perf_counter()
            answers = []
            offset = bulk
            for work, share in zip(workers, shares, strict=True):
                tokens = [users[(offset + i) % len(users)][1] for i in range(share)]
                offset += share
                work.process.stdin.write((json.dumps({"connect": tokens}) + "\n").encode())  # type: ignore[union-attr]
                work.process.stdin.flush()  # type: ignore[union-attr]
            for work in workers:
                line = await asyncio.to_thread(work.process.stdout.readline)  # type: ignore[union-attr]
                if not line:
                    raise RuntimeError("a load generator worker died")
                answers.append(json.loads(line))
            connect_seconds = time.perf_counter() - started
            connect_cpu = cpu_seconds(server.pid) - cpu_before
            connected = sum(a["connected"] for a in answers)
            failed = sum(a["failed"] for a in answers)
            dropped = sum(a["closed"] for a in answers)
            errors: Counter[str] = Counter()
            for a in answers:
                errors.update(a["errors"])
            bulk += connected
            if server.process.poll() is not None:
                result.stopped = f"the server exited (code {server.process.returncode})"
                break
            await asyncio.sleep(1.0)
            idle_before, idle_started = cpu_seconds(server.pid), time.perf_counter()
            await asyncio.sleep(2.0)
            idle = (cpu_seconds(server.pid) - idle_before) / (time.perf_counter() - idle_started)
            p50, p99 = await probe(server, probe_clients, probe_household, args, emitter, number)
            if p99 > args.latency_bound:  # once more: one unlucky pause is not the bound
                p50, p99 = await probe(server, probe_clients, probe_household, args, emitter, number + 1000)
            pauses = [
                pause
                for generation, pause in gc_pauses(server, started, time.perf_counter())
                if generation == 2
            ]
            step = Step(
                connections=bulk + PROBE_CLIENTS - dropped,
                rss_kib=rss_kib(server.pid),
                open_files=open_files(server.pid),
                connect_seconds=connect_seconds,
                cpu_per_connect_ms=connect_cpu / max(1, connected) * 1000,
                idle_cpu_rate=idle,
                probe_p50_ms=p50,
                probe_p99_ms=p99,
                full_gcs=len(pauses),
                worst_gc_ms=max(pauses, default=0.0) * 1000,
                failed=failed,
                errors=dict(errors.most_common(3)),
            )
            result.steps.append(step)
            print(
                f"  {system}: {step.connections:>6} connections (+{connected} in {connect_seconds:.1f} s, "
                f"{failed} failed, {dropped} dropped), RSS {step.rss_kib / 1024:.0f} MiB, "
                f"{step.open_files} fds, {step.cpu_per_connect_ms:.2f} ms CPU/connect, idle "
                f"{idle * 100:.1f}% CPU, probe p50/p99 {p50:.1f}/{p99:.1f} ms, {len(pauses)} full GCs "
                f"(worst {step.worst_gc_ms:.0f} ms)",
                flush=True,
            )
            if failed > 0.01 * wanted or dropped > 0.01 * max(1, bulk):
                result.stopped = (
                    f"connects failed at {target:,} ({failed} of {wanted} failed, {dropped} dropped; "
                    f"server open files {step.open_files} of limit {result.file_limit}): "
                    + "; ".join(f"{n} x {text}" for text, n in errors.most_common(3))
                )
                break
            if p99 > args.latency_bound:
                result.stopped = (
                    f"probe p99 {p99:.0f} ms above the {args.latency_bound:.0f} ms bound at {target:,}"
                )
                break
            if step.rss_kib > args.rss_bound * 1024:
                result.stopped = f"RSS above the {args.rss_bound} MiB bound at {target:,}"
                break
        else:
            result.stopped = f"the ceiling, --max {args.max:,}"
    finally:
        for work in workers:
            await asyncio.to_thread(work.stop)
        for task in listeners:
            task.cancel()
        await asyncio.gather(*listeners, return_exceptions=True)
        await asyncio.gather(*(c.ws.close() for c in probe_clients), return_exceptions=True)
        if emitter is not None and emitter.redis is not None:
            await emitter.redis.aclose()
        await stop_server(server)
    print(f"  {system}: stopped by {result.stopped}", flush=True)
    return result


async def run_all(args: argparse.Namespace, services: Any, pinned: bool, logdir: Path) -> list[Ramp]:
    from shared import db, events

    print(f"signing up {args.users} + 2 users on the emulator ...", flush=True)
    users = await asyncio.to_thread(sign_up_users, services, args.users + 2)
    users, probe_users = users[:-2], users[-2:]
    await seed([uid for uid, _ in users], args.users)
    probe_households, _ = await seed([uid for uid, _ in probe_users], 1)
    ramps = []
    for system in args.systems:
        ramps.append(
            await ramp(system, args, users, [t for _, t in probe_users], probe_households[0], pinned, logdir)
        )
    await events.close()
    await db.dispose_engine()
    return ramps


def results(args: argparse.Namespace, ramps: list[Ramp]) -> tuple[list[dict[str, Any]], list[str]]:
    by = {r.system: r for r in ramps}
    chorus, base = by.get("chorus"), by.get("socketio")
    rows: list[dict[str, Any]] = []
    notes = [
        f"Ramp to at most {args.max:,} idle authenticated connections "
        f"(plus {PROBE_CLIENTS} probe connections); "
        f"steps {', '.join(f'{n:,}' for n in step_targets(args.max, args.step))}; "
        f"{args.users} users, 2 households each; permessage-deflate {'on' if args.compression else 'off'}. "
        f"Stops at >1% failed connects, probe p99 > {args.latency_bound:.0f} ms, RSS > {args.rss_bound} MiB "
        "or the ceiling.",
    ]
    if chorus is None or not chorus.steps:
        return rows, notes
    last = chorus.last_good() or chorus.steps[-1]
    base_last = base.last_good() if base else None
    rows += [
        row(
            "connections held by one process (higher is better)",
            chorus.held,
            base.held if base else None,
            "connections",
        ),
        row(
            "RSS per connection, slope over the ramp (lower is better)",
            chorus.slope_kib(),
            base.slope_kib() if base else None,
            "KiB",
        ),
        row(
            "RSS at the last full step (lower is better)",
            last.rss_kib / 1024,
            base_last.rss_kib / 1024 if base_last else None,
            "MiB",
        ),
        row(
            "probe p99 at the last full step (lower is better)",
            last.probe_p99_ms,
            base_last.probe_p99_ms if base_last else None,
            "ms",
        ),
        row(
            "server CPU per connect at the last full step (lower is better)",
            last.cpu_per_connect_ms,
            base_last.cpu_per_connect_ms if base_last else None,
            "ms",
        ),
        row(
            "idle server CPU at the last full step (lower is better)",
            last.idle_cpu_rate * 100,
            base_last.idle_cpu_rate * 100 if base_last else None,
            "% of a core",
        ),
    ]
    if base_last and abs(base_last.connections - last.connections) > 0.05 * last.connections:
        rows[2:] = [
            {**entry, "metric": entry["metric"] + " (at different connection counts: see notes)"}
            for entry in rows[2:]
        ]
    for r in ramps:
        notes.append(
            f"{LABEL[r.system]}: held {r.held:,}, stopped by {r.stopped}; open-file limit {r.file_limit}; "
            f"RSS {r.rss_start_kib / 1024:.0f} MiB before the first connection; "
            f"{r.slope_kib():.1f} KiB per connection (slope)."
        )
        for step in r.steps:
            notes.append(
                f"  {LABEL[r.system]} at {step.connections:,}: RSS {step.rss_kib / 1024:.0f} MiB, "
                f"{step.open_files} fds, {step.cpu_per_connect_ms:.2f} ms CPU per connect, idle CPU "
                f"{step.idle_cpu_rate * 100:.1f}%, probe p50/p99 "
                f"{step.probe_p50_ms:.1f}/{step.probe_p99_ms:.1f} ms; {step.full_gcs} full GCs "
                f"during the step, worst {step.worst_gc_ms:.0f} ms"
                + (f", {step.failed} failed: {step.errors}" if step.failed else "")
            )
    return rows, notes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max", type=int, default=50000, help="the ceiling (connections)")
    parser.add_argument("--step", type=int, default=2500)
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--systems", default="chorus,socketio")
    parser.add_argument("--per-worker", type=int, default=10000, help="connections per generator process")
    parser.add_argument("--connect-concurrency", type=int, default=50, help="in all")
    parser.add_argument("--probe-events", type=int, default=30)
    parser.add_argument("--min-gap", type=float, default=0.010)
    parser.add_argument("--max-gap", type=float, default=0.020)
    parser.add_argument("--latency-bound", type=float, default=250.0, help="probe p99 bound (ms)")
    parser.add_argument("--rss-bound", type=int, default=8192, help="server RSS bound (MiB)")
    parser.add_argument("--nofile", type=int, help="raise the hard open-file limit to this (needs root)")
    parser.add_argument("--server-nofile", type=int, help="set the server's open-file limit to this")
    parser.add_argument("--no-compression", dest="compression", action="store_false")
    parser.add_argument("--json", help="write the results here")
    parser.add_argument("--quick", action="store_true", help="a small smoke run (< 60 s)")
    # worker mode (internal)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--system", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--source", default="127.0.0.1", help=argparse.SUPPRESS)
    args = parser.parse_args()

    runner: Callable[..., Any] = asyncio.run
    with contextlib.suppress(ImportError):
        import uvloop

        runner = uvloop.run
    if args.worker:
        raise_open_files()
        runner(worker(args))
        return

    if args.quick:
        args.max, args.step, args.users, args.probe_events = 1500, 500, 100, 10
    args.systems = [part.strip() for part in str(args.systems).split(",") if part.strip()]
    if not set(args.systems) <= set(SYSTEMS) or args.max < 1000 or args.step < 1:
        parser.error("bad --systems, --max (at least 1000) or --step")
    if args.nofile:
        try:
            raise_hard_limit(args.nofile)
        except (ValueError, PermissionError) as error:
            sys.exit(
                f"cannot raise the hard open-file limit to {args.nofile} (needs CAP_SYS_RESOURCE): {error}"
            )
    raise_open_files()  # the servers and workers inherit it

    from functions.devservices import running_services

    pinned = pin_to(1)
    logdir = Path(tempfile.mkdtemp(prefix="chorus-bench-capacity-"))
    with running_services(logdir / "services", database_name="bench", log=lambda _: None) as services:
        os.environ.update(services.env())
        os.environ["LOG_LEVEL"] = "WARNING"
        subprocess.run([str(CHORUS), "migrate", "upgrade"], check=True, capture_output=True, cwd=ROOT)
        ramps = runner(run_all(args, services, pinned, logdir))
    rows, notes = results(args, ramps)
    print()
    for entry in rows:
        ratio = f"{entry['ratio']:.2f}x" if entry["ratio"] is not None else "-"
        baseline = f"{entry['baseline']:,.1f}" if entry["baseline"] is not None else "-"
        print(f"{entry['metric']:<64} {entry['chorus']:>10,.1f} {baseline:>10} {ratio:>7}")
    for note in notes:
        print(note)
    print(f"\nserver logs in {logdir}")
    write_json(args.json, "relay capacity", rows, notes, None)


if __name__ == "__main__":
    main()
