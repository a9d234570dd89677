"""Warm throughput and latency of one read and one write: a Chorus function vs the FastAPI monolith.

    .venv/bin/python bench/http_load.py [--rounds 3] [--duration 15] [--warmup 5] [--connections 32]
                                        [--no-profile] [--quick] [--json PATH]

One server process at a time, pinned to CPU 0: Chorus serves each operation as its own function
(`chorus serve households.get_household`, `chorus serve households.create_household`); the
baseline is the FastAPI monolith (bench/baseline/fastapi_app.py: FastAPI + SQLAlchemy +
firebase-admin, all routes, the same services, token check, engine and pool settings), started
afresh for each measurement. Both come from the image-like environments of bench/common.py.

The load generator is wrk (Debian's `wrk`), one thread on CPU 1, `--connections` keep-alive
connections, closed loop, with a Lua script that sends the user's ID token (and the JSON body of
the write) and prints its summary as JSON. Each measurement is a `--warmup` run (discarded), then a
`--duration` run; the rounds alternate which system goes first, and the figures are the medians
over the rounds. The embedded PostgreSQL, Redis and Auth emulator run on CPU 1 too, so the server
has CPU 0 to itself. Server CPU (utime+stime from /proc) and wrk's own CPU are measured over the
timed run, so the notes show whether the server was the bottleneck; where `perf stat` can count
instructions, the server's instructions per request are a row too: a cost that, unlike time,
other processes on a busy machine hardly disturb.

* read:  GET /api/households/{id} — token check, one query (the caller, their membership and the
  household with its member count: shared/users.py), JSON (the same document from both, checked
  first).
* write: POST /api/households — token check, caller query, the caller's household count (with their
  row locked: at most 100 each), a household, its owner's membership and an outbox event in one
  transaction, publish to Redis after commit. Each request takes its token in turn from WRITERS
  users, so none reaches the limit; any non-2xx answer fails the benchmark.

Finally, unless `--no-profile`, py-spy samples each server during one more read run and the
profile (self time by package, the heaviest functions) goes into the JSON's "profile".
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bench.common import (
    Fixture,
    ImageVenvs,
    Result,
    Row,
    cpu_seconds,
    database_sessions,
    fixture,
    free_port,
    image_venvs,
    pin_self,
    pinned,
    sign_up_users,
    stop,
    wait_for,
)

PY_SPY = Path(sys.executable).parent / "py-spy"
TARGET_READ_RATIO = 1.3
WRITE_BODY = json.dumps({"name": "Load", "timezone": "Europe/Berlin"})

LUA = """
wrk.method = "{method}"
wrk.headers["Authorization"] = "Bearer {token}"
{body}
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {{"requests": %d, "duration_us": %d, "status_errors": %d, "socket_errors": %d, ' ..
    '"timeouts": %d, "p50": %d, "p90": %d, "p99": %d, "p999": %d, "mean": %.1f, "max": %d}}\\n',
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency:percentile(99.9),
    latency.mean, latency.max))
end
"""


@dataclass(frozen=True)
class Scenario:
    name: str  # "read" or "write"
    method: str
    path: str
    body: str | None
    chorus_function: str


@dataclass
class Measurement:
    requests: int
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    server_cpu_per_request_us: float
    server_cpu_share: float  # of one core, over the timed run
    wrk_cpu_share: float
    errors: int
    instructions_per_request: float | None  # from `perf stat`, when perf works here
    connections_opened: int | None  # new PostgreSQL sessions during the timed run (pool churn)


def perf_works() -> bool:
    """Whether `perf stat` can count this machine's instructions (hardware counters, permissions)."""
    if shutil.which("perf") is None:
        return False
    probe = subprocess.run(
        ["perf", "stat", "-x", ",", "-e", "instructions", "--", "true"], capture_output=True, text=True
    )
    first = probe.stderr.strip().split(",", 1)[0]
    return probe.returncode == 0 and first.isdigit()


def start_perf(pid: int, seconds: float) -> subprocess.Popen[str]:
    return subprocess.Popen(
        pinned(
            1,
            [
                "perf",
                "stat",
                "-x",
                ",",
                "-e",
                "instructions",
                "-p",
                str(pid),
                "--",
                "sleep",
                f"{seconds:.0f}",
            ],
        ),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def perf_instructions(perf: subprocess.Popen[str]) -> float | None:
    _, stderr = perf.communicate(timeout=120)
    for line in stderr.splitlines():
        fields = line.split(",")
        if len(fields) > 2 and fields[2] == "instructions" and fields[0].isdigit():
            return float(fields[0])
    return None


# A write takes its token in turn from this many users: one person belongs to at most 100
# households (shared/households.py), and a run creates tens of thousands.
WRITERS = 1000
ROTATE_TOKENS = """
local tokens = {{{tokens}}}
local sent = 0
request = function()
  sent = sent + 1
  wrk.headers["Authorization"] = "Bearer " .. tokens[sent % #tokens + 1]
  return wrk.format()
end
"""


def lua_script(directory: Path, scenario: Scenario, tokens: list[str]) -> Path:
    """wrk's script: the read with one user's token, the write with each of `tokens` in turn."""
    body = ""
    if scenario.body is not None:
        body = f'wrk.headers["Content-Type"] = "application/json"\nwrk.body = {json.dumps(scenario.body)}'
        body += ROTATE_TOKENS.format(tokens=", ".join(json.dumps(token) for token in tokens))
    script = directory / f"{scenario.name}.lua"
    script.write_text(LUA.format(method=scenario.method, token=tokens[0], body=body))
    return script


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_wrk(url: str, script: Path, connections: int, seconds: float) -> tuple[dict[str, Any], float]:
    """wrk's JSON summary and the CPU seconds wrk used."""
    before = children_cpu()
    output = subprocess.run(
        pinned(
            1,
            [
                "wrk",
                "-t1",
                f"-c{connections}",
                f"-d{max(1, round(seconds))}s",
                "--timeout",
                "10s",
                "-s",
                str(script),
                url,
            ],
        ),
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    line = next((line for line in output.splitlines() if line.startswith("WRKJSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no summary:\n{output}")
    return json.loads(line.removeprefix("WRKJSON ")), children_cpu() - before


class Server:
    def __init__(self, system: str, argv: list[str], venvs: ImageVenvs, fx: Fixture) -> None:
        self.system = system
        self.port = free_port()
        self.process = subprocess.Popen(
            pinned(0, [*argv, "--host", "127.0.0.1", "--port", str(self.port)]),
            cwd=venvs.app,
            env=venvs.runtime_env(fx.env),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(self.url("/healthz"))

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    @property
    def pid(self) -> int:
        """The server's pid (taskset execs the program, so it is the same process)."""
        return self.process.pid

    def close(self) -> None:
        stop(self.process)


def start(system: str, scenario: Scenario, venvs: ImageVenvs, fx: Fixture) -> Server:
    if system == "chorus":
        argv = [str(venvs.chorus), "serve", scenario.chorus_function]
    else:
        argv = [str(venvs.fastapi_python), "-m", "bench.baseline.fastapi_app"]
    return Server(system, argv, venvs, fx)


def measure(
    system: str,
    scenario: Scenario,
    venvs: ImageVenvs,
    fx: Fixture,
    script: Path,
    args: argparse.Namespace,
) -> Measurement:
    server = start(system, scenario, venvs, fx)
    try:
        url = server.url(scenario.path)
        run_wrk(url, script, args.connections, args.warmup)
        seconds = max(1, round(args.duration))
        # perf counts the server's instructions over the timed run: unlike time, a count the other
        # processes on a busy machine hardly disturb.
        sessions_before = database_sessions(fx.env["DATABASE_URL"])
        perf = start_perf(server.pid, seconds) if args.perf else None
        cpu_before, wall_before = cpu_seconds(server.pid), time.perf_counter()
        summary, wrk_cpu = run_wrk(url, script, args.connections, seconds)
        cpu, wall = cpu_seconds(server.pid) - cpu_before, time.perf_counter() - wall_before
        sessions_after = database_sessions(fx.env["DATABASE_URL"])
        instructions = perf_instructions(perf) if perf is not None else None
    finally:
        server.close()
    requests = summary["requests"]
    seconds = summary["duration_us"] / 1e6
    return Measurement(
        requests=requests,
        requests_per_s=requests / seconds,
        p50_ms=summary["p50"] / 1000,
        p99_ms=summary["p99"] / 1000,
        server_cpu_per_request_us=cpu / max(1, requests) * 1e6,
        server_cpu_share=cpu / wall,
        wrk_cpu_share=wrk_cpu / wall,
        errors=summary["status_errors"] + summary["socket_errors"] + summary["timeouts"],
        instructions_per_request=instructions / max(1, requests) if instructions else None,
        connections_opened=(
            sessions_after - sessions_before - 1
            if sessions_before is not None and sessions_after is not None
            else None
        ),
    )


# --- profile ------------------------------------------------------------------------------------


def _package(frame: str) -> str:
    """`function (path:line)` → the package that owns the code (site-packages name, shared, stdlib)."""
    location = frame.rsplit(" (", 1)[-1].rstrip(")")
    path = location.rsplit(":", 1)[0]
    if "site-packages/" in path:
        return path.split("site-packages/", 1)[1].split("/", 1)[0].removesuffix(".py").split(".")[0]
    for own in ("/shared/", "/functions/", "/bench/"):
        if own in path:
            return own.strip("/") + "/" + path.split(own, 1)[1]
    if "/lib/python3" in path:
        rest = path.split("/lib/python3", 1)[1].split("/", 1)
        return "stdlib:" + (rest[1].split("/", 1)[0].removesuffix(".py") if len(rest) > 1 else "?")
    return path or frame


# Library functions worth naming in a profile: where the time of a request goes, beyond the
# project's own functions (which are always listed).
LANDMARKS = (
    "HttpToolsProtocol.data_received",
    "RequestResponseCycle.send",
    "Logger.info",
    "Counter.labels",
    "Histogram.observe",
    "uuid4",
    "verify_id_token",
    "solve_dependencies",
    "serialize_response",
    "BaseModel.model_dump_json",
    "AsyncSession.execute",
    "AsyncSession.scalar",
    "AsyncSession.get_one",
    "AsyncSession.close",
    "AsyncSession.commit",
    "Transaction.start",
    "PreparedStatement.fetch",
    "greenlet_spawn",
)


def summarize_profile(raw: Path, top: int) -> str:
    """Self time by package, and inclusive time of the project's functions and of landmark library
    functions, from py-spy's collapsed stacks (on-CPU samples only)."""
    by_package: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    building: Counter[str] = Counter()  # SQLAlchemy called by project code, not through a session
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [frame for frame in stack.split(";") if "(" in frame]
        if not frames:
            continue
        total += count
        by_package[_package(frames[-1])] += count
        named = set()
        for frame in frames:
            name = frame.rsplit(" (", 1)[0]
            owner = _package(frame)
            if owner == "functions/cli.py":
                continue  # the process's entry point: on every stack
            if owner.startswith(("shared/", "functions/")) or (
                owner.startswith("bench/") and not name.startswith(("<module>", "main"))
            ):
                named.add(f"{owner.removesuffix('.py')}:{name}")
            elif name in LANDMARKS:
                named.add(f"{owner}:{name}")
        for name in named:
            inclusive[name] += count
        owners = [_package(frame) for frame in frames]
        for index in range(len(frames) - 1, 0, -1):
            if owners[index - 1].startswith("shared/") and owners[index] == "sqlalchemy":
                if "/sqlalchemy/sql/" in frames[index]:  # expressions, not the ORM or a session
                    caller = frames[index - 1].rsplit(" (", 1)[0]
                    building[f"{owners[index - 1].removesuffix('.py')}:{caller}"] += count
                break
    if total == 0:
        return "  no samples"
    lines = [f"  self time by package ({total} samples):"]
    lines += [f"    {count / total * 100:5.1f}%  {name}" for name, count in by_package.most_common(top)]
    lines.append(
        "  inclusive time of the project's functions and of landmark library functions (SQLAlchemy runs"
        " its\n  work in greenlets, which py-spy shows as stacks of their own: self time is the better guide"
        " there):"
    )
    lines += [f"    {count / total * 100:5.1f}%  {name}" for name, count in inclusive.most_common(top + 10)]
    if building:
        lines.append(
            f"  building SQL statements (SQLAlchemy called by shared/ outside a session call): "
            f"{sum(building.values()) / total * 100:.1f}%, in "
            + ", ".join(f"{name} {count / total * 100:.1f}%" for name, count in building.most_common(4))
        )
    return "\n".join(lines)


def profile_read(
    system: str, scenario: Scenario, venvs: ImageVenvs, fx: Fixture, script: Path, args: argparse.Namespace
) -> str:
    server = start(system, scenario, venvs, fx)
    try:
        url = server.url(scenario.path)
        run_wrk(url, script, args.connections, args.warmup)
        with tempfile.TemporaryDirectory() as directory:
            raw = Path(directory) / "profile.txt"
            seconds = max(3.0, args.duration / 2)
            spy = subprocess.Popen(
                pinned(
                    1,
                    [
                        str(PY_SPY),
                        "record",
                        "--pid",
                        str(server.pid),
                        "--rate",
                        "200",
                        "--nonblocking",
                        "--full-filenames",
                        "--format",
                        "raw",
                        "--duration",
                        f"{seconds + 1:.0f}",
                        "-o",
                        str(raw),
                    ],
                ),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
            time.sleep(0.5)
            summary, _ = run_wrk(url, script, args.connections, seconds)
            _, stderr = spy.communicate(timeout=60)
            if not raw.exists():
                return f"  py-spy wrote nothing: {stderr.decode(errors='replace')[-300:]}"
            text = summarize_profile(raw, 12)
            rate = summary["requests"] / (summary["duration_us"] / 1e6)
            return f"  ({rate:.0f} requests/s while sampled at 200 Hz)\n{text}"
    finally:
        server.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=float, default=15.0, help="seconds of each timed run")
    parser.add_argument("--warmup", type=float, default=5.0, help="seconds of load before each timed run")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--no-profile", dest="profile", action="store_false")
    parser.add_argument("--quick", action="store_true", help="a smoke run: 1 round of 3 s")
    parser.add_argument("--json", type=Path, help="write the results here")
    args = parser.parse_args()
    if args.quick:
        args.rounds, args.duration, args.warmup = 1, 3.0, 1.0
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: `apt-get install -y wrk` (Debian's package)")
    args.perf = perf_works()

    venvs = image_venvs()
    systems = ("chorus", "fastapi")
    with fixture() as fx, tempfile.TemporaryDirectory() as directory:
        pin_self(1)
        scenarios = (
            Scenario("read", "GET", f"/api/households/{fx.household_id}", None, "households.get_household"),
            Scenario("write", "POST", "/api/households", WRITE_BODY, "households.create_household"),
        )
        host, project = fx.env["FIREBASE_AUTH_EMULATOR_HOST"], fx.env["FIREBASE_PROJECT_ID"]
        writers = [token for _, token in sign_up_users(host, project, WRITERS, prefix="bench-writer")]
        scripts = {
            scenario.name: lua_script(Path(directory), scenario, writers if scenario.body else [fx.token])
            for scenario in scenarios
        }
        check_same_answers(scenarios[0], venvs, fx)

        results: dict[tuple[str, str], list[Measurement]] = {}
        for round_ in range(args.rounds):
            order = systems if round_ % 2 == 0 else systems[::-1]
            for scenario in scenarios:
                for system in order:
                    measurement = measure(system, scenario, venvs, fx, scripts[scenario.name], args)
                    results.setdefault((system, scenario.name), []).append(measurement)
                    print(
                        f"  round {round_ + 1} {scenario.name:5} {system:7} "
                        f"{measurement.requests_per_s:7.0f} req/s  p50 {measurement.p50_ms:6.1f} ms  "
                        f"p99 {measurement.p99_ms:6.1f} ms  server CPU {measurement.server_cpu_share:4.0%}  "
                        f"wrk CPU {measurement.wrk_cpu_share:4.0%}  errors {measurement.errors}"
                        + (
                            f"  {measurement.instructions_per_request / 1e6:.2f} M instructions/request"
                            if measurement.instructions_per_request
                            else ""
                        )
                        + (
                            f"  {measurement.connections_opened} DB connections opened"
                            if measurement.connections_opened is not None
                            else ""
                        ),
                        flush=True,
                    )
        profiles = []
        if args.profile:
            for system in systems:
                profiles.append(f"{system}, read under load (py-spy):")
                profiles.append(profile_read(system, scenarios[0], venvs, fx, scripts["read"], args))

    result = Result("http_load")

    def median(system: str, scenario: str, attribute: str) -> float:
        return float(statistics.median(float(getattr(m, attribute)) for m in results[(system, scenario)]))

    def opened_per_1000(system: str, scenario: str) -> float | None:
        values = [
            m.connections_opened / m.requests * 1000
            for m in results[(system, scenario)]
            if m.connections_opened is not None and m.requests > 0
        ]
        return float(statistics.median(values)) if values else None

    def counted(system: str, scenario: str) -> float | None:
        values = [m.instructions_per_request for m in results[(system, scenario)]]
        known = [value for value in values if value is not None]
        return float(statistics.median(known)) / 1e6 if known else None

    for scenario in scenarios:
        rps = {system: median(system, scenario.name, "requests_per_s") for system in systems}
        ratio = rps["chorus"] / rps["fastapi"]
        read = scenario.name == "read"
        label = "GET /api/households/{id}" if read else "POST /api/households"
        result.rows.append(
            Row(
                f"{scenario.name} throughput, {label} (higher is better)",
                round(rps["chorus"], 1),
                round(rps["fastapi"], 1),
                "requests/s",
                target=f"chorus ≥ {TARGET_READ_RATIO}x FastAPI" if read else None,
                met=ratio >= TARGET_READ_RATIO if read else None,
            )
        )
        for attribute, title, unit in (
            ("p50_ms", "latency p50", "ms"),
            ("p99_ms", "latency p99", "ms"),
            ("server_cpu_per_request_us", "server CPU per request", "µs"),
        ):
            result.rows.append(
                Row(
                    f"{scenario.name} {title} (lower is better)",
                    round(median("chorus", scenario.name, attribute), 2),
                    round(median("fastapi", scenario.name, attribute), 2),
                    unit,
                )
            )
        churn = {system: opened_per_1000(system, scenario.name) for system in systems}
        if churn["chorus"] is not None and churn["fastapi"] is not None:
            result.rows.append(
                Row(
                    f"{scenario.name} DB connections opened per 1000 requests (pool churn; lower is better)",
                    round(churn["chorus"], 2),
                    round(churn["fastapi"], 2),
                    "connections",
                )
            )
        chorus_count, baseline_count = counted("chorus", scenario.name), counted("fastapi", scenario.name)
        if chorus_count is not None and baseline_count is not None:
            result.rows.append(
                Row(
                    f"{scenario.name} server instructions per request (lower is better)",
                    round(chorus_count, 3),
                    round(baseline_count, 3),
                    "million",
                )
            )
    errors = sum(m.errors for values in results.values() for m in values)
    result.notes += [
        f"wrk -t1 -c{args.connections}, {args.warmup:g} s warm-up then {args.duration:g} s timed, "
        f"{args.rounds} round(s) alternating the order; medians over rounds. Server pinned to CPU 0, wrk "
        "to CPU 1 with PostgreSQL, Redis and the Auth emulator (bench/common.py pin_services).",
        "Chorus: one `chorus serve <function>` process per operation; baseline: the FastAPI monolith "
        "(bench/baseline/fastapi_app.py), a fresh process per measurement. Same uvicorn settings, "
        "pool (DB_POOL_SIZE/DB_MAX_OVERFLOW defaults), token check (Auth emulator) and services.",
        "The baseline writes no access log line and keeps no request metrics; Chorus does both per "
        "request (shared/http.py Observe), so the comparison is conservative for Chorus.",
        f"non-2xx answers or socket errors over all timed runs: {errors}.",
    ]
    for (system, scenario_name), values in sorted(results.items()):
        result.notes.append(
            f"{system} {scenario_name}: req/s per round "
            + ", ".join(f"{m.requests_per_s:.0f}" for m in values)
            + "; server CPU share "
            + ", ".join(f"{m.server_cpu_share:.0%}" for m in values)
            + "; wrk CPU share "
            + ", ".join(f"{m.wrk_cpu_share:.0%}" for m in values)
            + "; DB connections opened "
            + ", ".join(
                str(m.connections_opened) if m.connections_opened is not None else "?" for m in values
            )
        )
    result.profile = "\n".join(profiles) if profiles else None
    print()
    print(result.table())
    print()
    print("\n".join(result.notes))
    if result.profile:
        print()
        print(result.profile)
    result.write(args.json)
    if errors:  # a refused request is cheaper than a served one: the figures would flatter both
        sys.exit(f"{errors} non-2xx answers or socket errors: these figures are not valid")


def check_same_answers(read: Scenario, venvs: ImageVenvs, fx: Fixture) -> None:
    """Both systems answer the read with the same document before anything is timed."""
    bodies = {}
    for system in ("chorus", "fastapi"):
        server = start(system, read, venvs, fx)
        try:
            response = httpx.get(server.url(read.path), headers=fx.auth_headers, timeout=10)
            response.raise_for_status()
            bodies[system] = response.json()
        finally:
            server.close()
    if bodies["chorus"] != bodies["fastapi"]:
        sys.exit(f"the two answer the read differently: {json.dumps(bodies)}")


if __name__ == "__main__":
    main()
