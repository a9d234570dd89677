"""Helpers shared by bench/cold_start.py and bench/http_load.py (not part of Chorus).

* `image_venvs`: the code and the Python environments built the way the Dockerfile builds the
  backend image (sources copied, `uv sync --frozen --no-dev --no-default-groups`, everything
  compiled, Chorus to unchecked-hash .pyc files), one for Chorus and one for the FastAPI baseline
  (the same plus FastAPI). Built once per content of the inputs under the temp directory.
* `fixture`: embedded services, migrations, a signed-up user with a Chorus account and one
  household: what an authenticated, database-backed read needs.
* `Result`: the JSON every benchmark script writes with `--json`.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DEV_CHORUS = Path(sys.executable).parent / "chorus"
CLK_TCK = os.sysconf("SC_CLK_TCK")

# What the Dockerfile copies into /app, plus the baseline for the FastAPI environment.
IMAGE_FILES = ("pyproject.toml", "uv.lock", "README.md", "alembic.ini")
IMAGE_DIRS = ("shared", "functions", "migrations")
BASELINE_DIR = "bench/baseline"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile (0 < fraction ≤ 1) of a non-empty list."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))]


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process (all its threads), in seconds."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # fields 14 and 15 of proc(5)


def can_pin() -> bool:
    return shutil.which("taskset") is not None and len(os.sched_getaffinity(0)) >= 2


def pinned(cpu: int | None, argv: list[str]) -> list[str]:
    """`argv` run on one CPU with taskset, when there is a CPU to spare."""
    if cpu is None or not can_pin():
        return argv
    return ["taskset", "-c", str(cpu), *argv]


def pin_self(cpu: int) -> None:
    if can_pin():
        os.sched_setaffinity(0, {cpu})


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        if int(text[text.rindex(")") + 2 :].split()[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def pin_services(cpu: int, database_url: str) -> list[int]:
    """Move the embedded services (this process's children: Redis, the Auth emulator; and the
    PostgreSQL postmaster with its children, which backends forked later inherit) to `cpu`, so
    that the server under test has its CPU to itself. The pids moved."""
    if not can_pin():
        return []
    pids = _children(os.getpid())
    from urllib.parse import parse_qs, urlparse

    socket_dir = parse_qs(urlparse(database_url).query).get("host", [""])[0]
    postmaster_pid = Path(socket_dir) / "postmaster.pid" if socket_dir else None
    if postmaster_pid is not None and postmaster_pid.exists():
        postmaster = int(postmaster_pid.read_text().split()[0])
        pids += [postmaster, *_children(postmaster)]
    moved = []
    for pid in pids:
        for task in Path(f"/proc/{pid}/task").glob("*"):  # every thread (node has many)
            try:
                os.sched_setaffinity(int(task.name), {cpu})
            except OSError:
                continue
        moved.append(pid)
    return moved


def wait_for(url: str, *, headers: dict[str, str] | None = None, timeout: float = 30.0) -> float:
    """Poll `url` until it answers 200; the seconds it took. Any other status is an error."""
    import httpx

    started = time.perf_counter()
    with httpx.Client(timeout=5) as client:
        while True:
            try:
                response = client.get(url, headers=headers)
            except httpx.TransportError:
                if time.perf_counter() - started > timeout:
                    raise TimeoutError(f"{url} did not answer within {timeout} s") from None
                time.sleep(0.002)
                continue
            if response.status_code != 200:
                raise RuntimeError(f"{url}: {response.status_code}: {response.text}")
            return time.perf_counter() - started


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


def database_sessions(database_url: str) -> int | None:
    """Sessions PostgreSQL has opened on this database so far (pg_stat_database.sessions, 14+),
    counting the one that asks; None when it cannot tell."""
    import asyncpg
    from sqlalchemy.engine import make_url

    dsn = make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)

    async def ask() -> int | None:
        connection = await asyncpg.connect(dsn)
        try:
            value = await connection.fetchval(
                "SELECT sessions FROM pg_stat_database WHERE datname = current_database()"
            )
            return int(value) if value is not None else None
        finally:
            await connection.close()

    try:
        return asyncio.run(ask())
    except Exception:  # an older PostgreSQL, or no access to the statistics
        return None


# --- results ------------------------------------------------------------------------------------


@dataclass
class Row:
    metric: str
    chorus: float
    baseline: float | None
    unit: str
    target: str | None = None
    met: bool | None = None
    ratio: float | None = None

    def __post_init__(self) -> None:
        if self.ratio is None and self.baseline:
            self.ratio = round(self.chorus / self.baseline, 3)


@dataclass
class Result:
    benchmark: str
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    profile: str | None = None

    def write(self, path: Path | None) -> None:
        if path is None:
            return
        document = {
            "benchmark": self.benchmark,
            "rows": [
                {
                    key: getattr(row, key)
                    for key in ("metric", "chorus", "baseline", "unit", "ratio", "target", "met")
                }
                for row in self.rows
            ],
            "notes": self.notes,
            "profile": self.profile,
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(document, indent=2) + "\n")

    def table(self) -> str:
        lines = [f"{'metric':72} {'chorus':>10} {'baseline':>10} {'ratio':>7}  unit  target"]
        for row in self.rows:
            baseline = f"{row.baseline:10.1f}" if row.baseline is not None else f"{'-':>10}"
            ratio = f"{row.ratio:7.2f}" if row.ratio is not None else f"{'-':>7}"
            met = "" if row.met is None else (" met" if row.met else " NOT met")
            lines.append(
                f"{row.metric:72} {row.chorus:10.1f} {baseline} {ratio}  {row.unit}  {row.target or ''}{met}"
            )
        return "\n".join(lines)


# --- image-like environments --------------------------------------------------------------------


@dataclass(frozen=True)
class ImageVenvs:
    app: Path  # the copied sources (the image's /app); run the baseline from here
    chorus: Path  # <venv>/bin/chorus of the Chorus environment
    chorus_python: Path
    fastapi_python: Path  # the Chorus environment plus FastAPI

    def runtime_env(self, base: dict[str, str]) -> dict[str, str]:
        """The environment the image's processes see (bytecode was written at build time)."""
        return {**base, "PYTHONDONTWRITEBYTECODE": "1", "PYTHONUNBUFFERED": "1"}


def _inputs_digest() -> str:
    digest = hashlib.sha256()
    paths = [ROOT / name for name in IMAGE_FILES]
    for directory in (*IMAGE_DIRS, BASELINE_DIR):
        paths += sorted(
            path
            for path in (ROOT / directory).rglob("*")
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"
        )
    for path in paths:
        digest.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes() + b"\0")
    digest.update(sys.version.encode())
    return digest.hexdigest()[:16]


def _locked_version(package: str) -> str:
    lock = (ROOT / "uv.lock").read_text()
    match = re.search(rf'\[\[package\]\]\nname = "{re.escape(package)}"\nversion = "([^"]+)"', lock)
    if not match:
        raise RuntimeError(f"{package} is not in uv.lock")
    return match.group(1)


def _uv() -> str:
    found = shutil.which("uv") or shutil.which("uv", path=str(ROOT / ".tools" / "bin"))
    if not found:
        raise RuntimeError("uv is not installed: run `make install`")
    return found


def image_venvs(log: Any = print) -> ImageVenvs:
    """Build (or reuse) the two image-like environments; see the module docstring."""
    base = Path(tempfile.gettempdir()) / f"chorus-bench-image-{_inputs_digest()}"
    venvs = ImageVenvs(
        app=base / "app",
        chorus=base / "app" / ".venv" / "bin" / "chorus",
        chorus_python=base / "app" / ".venv" / "bin" / "python",
        fastapi_python=base / "app" / ".venv-fastapi" / "bin" / "python",
    )
    if (base / "done").exists():
        return venvs
    log(f"building image-like environments under {base} ...")
    for old in base.parent.glob("chorus-bench-image-*"):  # earlier builds, of other sources
        shutil.rmtree(old, ignore_errors=True)
    app = venvs.app
    app.mkdir(parents=True)
    for name in IMAGE_FILES:
        shutil.copy2(ROOT / name, app / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for directory in (*IMAGE_DIRS, BASELINE_DIR):
        shutil.copytree(ROOT / directory, app / directory, ignore=ignore)
    uv = _uv()
    interpreter = getattr(sys, "_base_executable", sys.executable)
    env = {
        **os.environ,
        "UV_PYTHON_DOWNLOADS": "never",
        "UV_PYTHON": interpreter,
        "UV_COMPILE_BYTECODE": "1",
        "UV_LINK_MODE": "copy",
    }
    env.pop("VIRTUAL_ENV", None)
    sync = [uv, "sync", "--frozen", "--no-dev", "--no-default-groups", "--quiet"]
    for venv in (".venv", ".venv-fastapi"):
        subprocess.run(sync, cwd=app, env={**env, "UV_PROJECT_ENVIRONMENT": str(app / venv)}, check=True)
    # FastAPI on top, without moving any package the Chorus environment has.
    freeze = subprocess.run(
        [uv, "pip", "freeze", "--python", str(venvs.fastapi_python), "--exclude-editable"],
        cwd=app,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    constraints = base / "constraints.txt"
    constraints.write_text(freeze)
    subprocess.run(
        [
            uv,
            "pip",
            "install",
            "--quiet",
            "--python",
            str(venvs.fastapi_python),
            "-c",
            str(constraints),
            f"fastapi=={_locked_version('fastapi')}",
        ],
        cwd=app,
        env=env,
        check=True,
    )
    subprocess.run(
        [
            str(venvs.chorus_python),
            "-m",
            "compileall",
            "-q",
            "--invalidation-mode",
            "unchecked-hash",
            *IMAGE_DIRS,
            "bench",
        ],
        cwd=app,
        check=True,
    )
    (base / "done").write_text("ok\n")
    return venvs


# --- services and data --------------------------------------------------------------------------


@dataclass(frozen=True)
class Fixture:
    env: dict[str, str]  # the environment the servers need (services, development settings)
    token: str
    household_id: uuid.UUID
    uid: str  # the user's Firebase uid
    email: str

    @property
    def auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


async def _create_household(token: str) -> uuid.UUID:
    from shared import auth, db, events, households, users
    from shared.schemas import HouseholdCreate
    from shared.settings import get_settings

    try:
        claims = auth.verify_token(token, get_settings())
        async with db.session_scope() as session:
            user, _ = await users.resolve_caller(session, claims=claims, household_id=None)
            household = await households.create(
                session, user=user, data=HouseholdCreate(name="Bench", timezone="UTC")
            )
        return household.id
    finally:
        await events.close()
        await db.dispose_engine()


def sign_up_users(host: str, project: str, count: int, prefix: str = "bench") -> list[tuple[str, str]]:
    """(Firebase uid, ID token) of `count` new users on the Auth emulator at `host`."""
    from concurrent.futures import ThreadPoolExecutor

    from functions.devservices import sign_up

    run = uuid.uuid4().hex[:8]

    def one(n: int) -> tuple[str, str]:
        answer = sign_up(host, f"{prefix}-{run}-{n}@example.com", "bench-password", project_id=project)
        return str(answer["localId"]), str(answer["idToken"])

    with ThreadPoolExecutor(8) as pool:
        return list(pool.map(one, range(count)))


@contextmanager
def fixture(log: Any = lambda _: None, *, services_cpu: int | None = 1) -> Iterator[Fixture]:
    """Services (embedded unless DATABASE_URL, REDIS_URL, FIREBASE_AUTH_EMULATOR_HOST are set),
    migrated, with one user (signed up on the emulator, with a Chorus account) and one household.
    The embedded services are then moved to `services_cpu` (with the load generator)."""
    from functions.devservices import running_services, sign_up

    with running_services(Path(tempfile.mkdtemp(prefix="chorus-bench-")), log=log) as services:
        os.environ.update(services.env())
        subprocess.run([str(DEV_CHORUS), "migrate", "upgrade"], check=True, capture_output=True, cwd=ROOT)
        email = f"bench-{uuid.uuid4().hex}@example.com"
        project = services.firebase_project_id
        user = sign_up(services.firebase_auth_emulator_host, email, "bench-password", project_id=project)
        token = str(user["idToken"])
        household_id = asyncio.run(_create_household(token))
        if services_cpu is not None:
            pin_services(services_cpu, services.database_url)
        env = {**os.environ, **services.env(), "ENVIRONMENT": "development"}
        yield Fixture(env=env, token=token, household_id=household_id, uid=str(user["localId"]), email=email)
