"""Cold start: process start to the first 200 on an authenticated database read, Chorus vs FastAPI.

    .venv/bin/python bench/cold_start.py [--runs 15] [--function households.get_household]
                                         [--quick] [--json PATH]

Chorus is one function, `chorus serve households.get_household`, as its Knative Service starts it.
The baseline is the same endpoint in a FastAPI monolith on the seed spec's stack (FastAPI +
SQLAlchemy + firebase-admin, every route loaded: bench/baseline/fastapi_app.py), served by
uvicorn with the same settings. Both run from environments built the way the Dockerfile builds
the image (bench/common.py `image_venvs`: `uv sync --frozen --no-dev --no-default-groups`,
bytecode compiled, PYTHONDONTWRITEBYTECODE=1); the baseline's is the same plus FastAPI.

Starts embedded services (or uses DATABASE_URL / REDIS_URL / FIREBASE_AUTH_EMULATOR_HOST when
set), makes a user and a household, then starts each server `--runs` times, alternating, pinned
to CPU 0 while this script (and the embedded services) run on CPU 1. Each start is timed from
`Popen` to the first 200 on GET /api/households/{id} with the user's ID token: a TCP connect is
tried every 1 ms until the server listens, then the read goes out at once, so the time includes the
imports, uvicorn's start, the first token check and the first database connection and queries,
and splits into "listening" and "first read". Each start is followed by one with the emulator off
and a signed token (the "signed token" rows): the first read then fetches the signing key from a
local key server (tests/signing.py) and checks the signature, as production does. One more start
of each runs with `PYTHONPROFILEIMPORTTIME=1`: the import profile (self time summed per top-level
package) of everything imported up to that first 200.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bench.common import (
    Fixture,
    ImageVenvs,
    Result,
    Row,
    fixture,
    free_port,
    image_venvs,
    percentile,
    pin_self,
    pinned,
    stop,
)
from tests.signing import KeyServer

EMULATOR_ENV = "FIREBASE_AUTH_EMULATOR_HOST"

TARGET_RATIO = 0.5

# Runs a server as its command would: `chorus …`, or `python -m …` for the baseline.
RUN_AS_COMMAND = """
sys.argv = sys.argv[1:]
if sys.argv[0] == "chorus":
    from functions.cli import main
    main()
else:
    import runpy
    runpy.run_module(sys.argv[0], run_name="__main__", alter_sys=True)
"""

# Reports on stderr, after each collection, how long the garbage collector has run so far and how
# many collections of each generation it made (not at exit: uvicorn re-raises SIGTERM, so exit
# handlers do not run).
GC_PROBE = (
    """
import gc, sys, time
spent, started, runs = [0.0], [0.0], [0, 0, 0]
def probe(phase, info):
    if phase == "start":
        started[0] = time.perf_counter()
    else:
        spent[0] += time.perf_counter() - started[0]
        runs[info["generation"]] += 1
        print("gc-probe", spent[0], *runs, file=sys.stderr)
gc.callbacks.append(probe)
"""
    + RUN_AS_COMMAND
)

# Production's token check: firebase-admin fetches the signing keys from the bench's key server
# (tests/signing.py) instead of Google's. Both servers import firebase_admin on their way to the
# first 200 anyway, so importing it here first moves that time, it does not add any.
SIGNED = (
    """
import os, sys
import firebase_admin._token_gen
firebase_admin._token_gen.ID_TOKEN_CERT_URI = os.environ["CHORUS_BENCH_KEYS_URL"]
"""
    + RUN_AS_COMMAND
)


@dataclass(frozen=True)
class Server:
    name: str
    argv: list[str]  # its command, without --host/--port
    python: Path
    wrapped: list[str]  # the arguments RUN_AS_COMMAND takes: ["chorus", "serve", …] or [module]
    cwd: Path

    def command(self, port: int, *, wrapper: str | None = None) -> list[str]:
        """The server's command, or the same run by `wrapper` (GC_PROBE, SIGNED)."""
        argv = self.argv if wrapper is None else [str(self.python), "-c", wrapper, *self.wrapped]
        return pinned(0, [*argv, "--host", "127.0.0.1", "--port", str(port)])


@dataclass(frozen=True)
class ColdStart:
    total: float  # seconds from Popen to the first 200 on the read
    listening: float  # seconds from Popen to the first accepted TCP connection (imports, uvicorn up)
    body: Any
    stderr: str


def one_cold_start(
    server: Server,
    fx: Fixture,
    venvs: ImageVenvs,
    path: str,
    *,
    profile_imports: bool = False,
    keys: KeyServer | None = None,
) -> ColdStart:
    """Start the server, try to connect every 1 ms until it accepts, then send the read at once.
    With `keys`, the server checks signatures as in production and the read carries a signed token."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = venvs.runtime_env(fx.env)
    headers, wrapper = fx.auth_headers, GC_PROBE if profile_imports else None
    if profile_imports:
        env["PYTHONPROFILEIMPORTTIME"] = "1"
    if keys is not None:
        env |= {EMULATOR_ENV: "", "CHORUS_BENCH_KEYS_URL": keys.url}
        headers = {"Authorization": f"Bearer {keys.token(fx.uid, email=fx.email)}"}
        wrapper = SIGNED
    # A file, not a pipe: the profile is larger than a pipe's buffer and would block the server.
    with tempfile.TemporaryFile() as errors:
        started = time.perf_counter()
        process = subprocess.Popen(
            server.command(port, wrapper=wrapper),
            cwd=server.cwd,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=errors,
        )
        try:
            with httpx.Client(timeout=10) as client:
                # Probe with bare TCP connects: each refused one costs microseconds, where a failed
                # HTTP request costs a millisecond of CPU that slowed the server starting beside it.
                while not _accepts(port):
                    if process.poll() is not None:
                        raise RuntimeError(f"{server.name} exited with {process.returncode}")
                    time.sleep(0.001)
                listening = time.perf_counter() - started
                response = client.get(f"{base}{path}", headers=headers)
                total = time.perf_counter() - started
                written = os.fstat(errors.fileno()).st_size  # what the server wrote up to the 200
                if response.status_code != 200:
                    raise RuntimeError(f"{server.name}: {response.status_code}: {response.text}")
        finally:
            stop(process)
        errors.seek(0)
        stderr = errors.read(written).decode(errors="replace") if profile_imports else ""
    return ColdStart(total, listening, response.json(), stderr)


def _accepts(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        return False
    return True


_IMPORT_LINE = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \|(\s*)(\S+)")


@dataclass(frozen=True)
class Profile:
    imports: float  # seconds of import self time, summed
    modules: int
    per_package: dict[str, float]
    gc_seconds: float | None  # in the garbage collector, from start to the first 200
    gc_runs: tuple[int, ...]  # collections per generation


def import_profile(stderr: str) -> Profile:
    """The import profile (self time per top-level package) and the garbage collector's time."""
    per_package: dict[str, float] = {}
    modules = 0
    gc_seconds: float | None = None
    gc_runs: tuple[int, ...] = ()
    for line in stderr.splitlines():
        if line.startswith("gc-probe "):
            fields = line.split()
            gc_seconds, gc_runs = float(fields[1]), tuple(int(field) for field in fields[2:])
            continue
        match = _IMPORT_LINE.match(line)
        if not match:
            continue
        modules += 1
        package = match.group(4).split(".")[0]
        per_package[package] = per_package.get(package, 0.0) + int(match.group(1)) / 1e6
    return Profile(sum(per_package.values()), modules, per_package, gc_seconds, gc_runs)


# What any function built on the design's named packages imports before it can answer: the server
# (uvicorn with uvloop and httptools, as `chorus serve` runs it), Starlette, SQLAlchemy's asyncio ORM
# with the asyncpg dialect, pydantic models, firebase-admin's token check and prometheus-client.
# None of Chorus's code, and nothing run: a lower bound for any server built on them.
STACK_IMPORTS = (
    "import gc; gc.disable(); import uvicorn.config, uvicorn.server, uvicorn.lifespan.on, "
    "uvicorn.protocols.http.httptools_impl, uvicorn.loops.auto, uvloop, starlette.applications, "
    "starlette.routing, "
    "sqlalchemy.orm, sqlalchemy.ext.asyncio, sqlalchemy.dialects.postgresql.asyncpg, asyncpg, "
    "pydantic.main, firebase_admin.auth, prometheus_client; "
    # Timed up to here: a server answers long before it exits, and tearing down what was imported
    # would add tens of milliseconds that no cold start pays.
    "import os; os._exit(0)"
)


def interpreter_start(python: Path, runs: int, code: str = "pass") -> float:
    """Median seconds of `python -c <code>`: bare (the floor under both cold starts) or `STACK_IMPORTS`."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(pinned(0, [str(python), "-c", code]), check=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def profile_table(profiles: dict[str, Profile], top: int) -> str:
    chorus, baseline = profiles["chorus"], profiles["fastapi"]
    names = sorted(
        set(chorus.per_package) | set(baseline.per_package),
        key=lambda name: -max(chorus.per_package.get(name, 0.0), baseline.per_package.get(name, 0.0)),
    )
    lines = [
        "Import profile up to the first 200 (python -X importtime: self time summed per top-level",
        "package, ms; one start each, so ±10%):",
        f"  {'package':24} {'chorus':>9} {'fastapi':>9}",
        f"  {'TOTAL':24} {chorus.imports * 1000:9.1f} {baseline.imports * 1000:9.1f}",
        f"  {'modules imported':24} {chorus.modules:9d} {baseline.modules:9d}",
    ]
    for name in names[:top]:
        a, b = chorus.per_package.get(name), baseline.per_package.get(name)
        left = f"{a * 1000:9.1f}" if a is not None else f"{'-':>9}"
        right = f"{b * 1000:9.1f}" if b is not None else f"{'-':>9}"
        lines.append(f"  {name:24} {left} {right}")
    only_baseline = sorted(
        set(baseline.per_package) - set(chorus.per_package), key=lambda name: -baseline.per_package[name]
    )
    if only_baseline:
        lines.append("  imported by the monolith only: " + ", ".join(only_baseline))
    for name, profile in profiles.items():
        if profile.gc_seconds is not None:
            lines.append(
                f"Garbage collector, {name}: {profile.gc_seconds * 1000:.0f} ms in "
                f"{'/'.join(str(runs) for runs in profile.gc_runs)} collections of generation 0/1/2 "
                "from start to the first 200."
            )
    return "\n".join(lines)


def _ms(starts: dict[str, list[ColdStart]], part: Callable[[ColdStart], float]) -> dict[str, float]:
    """Median milliseconds of `part` of each server's starts."""
    return {name: statistics.median(part(start) for start in runs) * 1000 for name, runs in starts.items()}


def _row(metric: str, ms: dict[str, float], **target: Any) -> Row:
    return Row(metric, round(ms["chorus"], 1), round(ms["fastapi"], 1), "ms", **target)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="cold starts of each, alternating")
    parser.add_argument("--function", default="households.get_household")
    parser.add_argument("--quick", action="store_true", help="a smoke run: 3 starts of each")
    parser.add_argument("--json", type=Path, help="write the results here")
    args = parser.parse_args()
    if args.function != "households.get_household":
        parser.error("the baseline is timed on GET /api/households/{id}: keep --function at its default")
    runs = 3 if args.quick else args.runs

    venvs = image_venvs()
    chorus = Server(
        "chorus",
        [str(venvs.chorus), "serve", args.function],
        venvs.chorus_python,
        ["chorus", "serve", args.function],
        venvs.app,
    )
    baseline = "bench.baseline.fastapi_app"
    fastapi = Server(
        "fastapi",
        [str(venvs.fastapi_python), "-m", baseline],
        venvs.fastapi_python,
        [baseline],
        venvs.app,
    )
    servers = (chorus, fastapi)

    with fixture() as fx:
        pin_self(1)
        path = f"/api/households/{fx.household_id}"
        # Once each to warm the OS file cache, and to check both answer the same document.
        bodies = {server.name: one_cold_start(server, fx, venvs, path).body for server in servers}
        if bodies["chorus"] != bodies["fastapi"]:
            sys.exit(f"the two answer differently: {json.dumps(bodies)}")
        starts: dict[str, list[ColdStart]] = {server.name: [] for server in servers}
        signed: dict[str, list[ColdStart]] = {server.name: [] for server in servers}
        with KeyServer(fx.env["FIREBASE_PROJECT_ID"]) as keys:
            for run in range(runs):
                for server in servers if run % 2 == 0 else servers[::-1]:
                    starts[server.name].append(one_cold_start(server, fx, venvs, path))
                    signed[server.name].append(one_cold_start(server, fx, venvs, path, keys=keys))
            key_fetches = keys.fetches
        if key_fetches != 2 * runs:
            sys.exit(f"expected each signed start to fetch the keys once, saw {key_fetches} fetches")
        profiles = {
            server.name: import_profile(one_cold_start(server, fx, venvs, path, profile_imports=True).stderr)
            for server in servers
        }
        floor = interpreter_start(venvs.chorus_python, 5)
        stack = interpreter_start(venvs.chorus_python, 5, STACK_IMPORTS)

    result = Result("cold_start")
    times = {name: [start.total for start in values] for name, values in starts.items()}
    median = _ms(starts, lambda s: s.total)
    p90 = {name: percentile(values, 0.9) * 1000 for name, values in times.items()}
    fastest = {name: min(values) * 1000 for name, values in times.items()}
    ratio = median["chorus"] / median["fastapi"]
    result.rows += [
        _row(
            "cold start to first authenticated 200, median (lower is better)",
            median,
            target=f"chorus ≤ {TARGET_RATIO}x FastAPI",
            met=ratio <= TARGET_RATIO,
        ),
        _row("cold start, p90 (lower is better)", p90),
        _row("cold start, fastest (lower is better)", fastest),
        _row(
            "cold start, part until listening (imports, uvicorn start), median",
            _ms(starts, lambda s: s.listening),
        ),
        _row(
            "cold start, part for the first read (token check, DB connect, queries), median",
            _ms(starts, lambda s: s.total - s.listening),
        ),
        _row(
            "cold start with a signed token (production's check: keys fetched, signature verified), "
            "median (lower is better)",
            _ms(signed, lambda s: s.total),
        ),
        _row(
            "cold start with a signed token, part for the first read, median",
            _ms(signed, lambda s: s.total - s.listening),
        ),
        Row(
            "imports up to the first 200, under -X importtime (lower is better)",
            round(profiles["chorus"].imports * 1000, 1),
            round(profiles["fastapi"].imports * 1000, 1),
            "ms",
        ),
        Row(
            "floor under any function on this stack: a process importing only STACK_IMPORTS, "
            "no Chorus code (see the notes)",
            round(stack * 1000, 1),
            None,
            "ms",
        ),
        Row(
            "modules imported (lower is better)",
            profiles["chorus"].modules,
            profiles["fastapi"].modules,
            "modules",
        ),
    ]
    result.notes += [
        f"{runs} cold starts of each, alternating; chorus = `chorus serve {args.function}`, baseline = "
        "the FastAPI monolith (bench/baseline/fastapi_app.py, all 42 routes) on GET /api/households/{id}.",
        "Both from image-like environments (uv sync --frozen --no-dev --no-default-groups, compiled "
        "bytecode, unchecked-hash .pyc for the project); the baseline's adds only fastapi.",
        "Each start tries a TCP connect every 1 ms until the server accepts, then sends the authenticated "
        "read. Server pinned to CPU 0; this poller and the embedded services on CPU 1. A bare "
        f"`python -c pass` takes {floor * 1000:.0f} ms here.",
        "The headline rows use Auth emulator tokens, which are unsigned. The signed-token rows start "
        "each server once more with the emulator off: its first read fetches the signing key's "
        "certificate (from a key server in this process, tests/signing.py, over loopback; Google's "
        "is tens of milliseconds further away, for both alike) and checks an RS256 signature, as "
        "production does. Both check tokens with the same code (shared.auth, firebase-admin).",
        f"The floor row is a process that only imports what any server on the design's named "
        f"packages needs before it can answer (STACK_IMPORTS: uvicorn with uvloop, Starlette, "
        f"SQLAlchemy's asyncio ORM with asyncpg, pydantic, firebase-admin's auth, prometheus-client) "
        f"and runs nothing: {stack * 1000:.0f} ms, {stack / (median['fastapi'] / 1000):.2f}x FastAPI's "
        f"cold start. The rest of Chorus's cold start, {median['chorus'] - stack * 1000:.0f} ms, is "
        f"its own modules, uvicorn's start-up, the first token check, database connection and queries.",
        "chorus runs (ms): " + ", ".join(f"{t * 1000:.0f}" for t in times["chorus"]),
        "fastapi runs (ms): " + ", ".join(f"{t * 1000:.0f}" for t in times["fastapi"]),
    ]
    gc_chorus, gc_fastapi = profiles["chorus"].gc_seconds, profiles["fastapi"].gc_seconds
    if gc_chorus is not None and gc_fastapi is not None:
        result.rows.append(
            Row(
                "in the garbage collector, start to first 200 (lower is better)",
                round(gc_chorus * 1000, 1),
                round(gc_fastapi * 1000, 1),
                "ms",
            )
        )
    result.profile = profile_table(profiles, 18)
    print(result.table())
    print()
    print("\n".join(result.notes))
    print()
    print(result.profile)
    result.write(args.json)


if __name__ == "__main__":
    main()
