"""Pytest plugin: real PostgreSQL, Redis and Firebase Auth emulator for the whole test session.

The services start in `pytest_sessionstart`, before any test module is collected, and their
environment (DATABASE_URL, REDIS_URL, FIREBASE_AUTH_EMULATOR_HOST, FIREBASE_PROJECT_ID,
ENVIRONMENT=test) is put into os.environ then, so settings read at import or first use see it.
Services named by environment variables that are already set are used instead of started.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import httpx
import pytest
from starlette.applications import Starlette

from functions.devservices import DevServicesError, Services, running_services, sign_in, sign_up

if TYPE_CHECKING:
    from playwright.async_api import Browser

_SERVICES = pytest.StashKey[Services]()
_CLEANUP = pytest.StashKey[ExitStack]()


def pytest_sessionstart(session: pytest.Session) -> None:
    config = session.config
    if config.option.collectonly:
        return
    stack = ExitStack()
    workdir = Path(tempfile.mkdtemp(prefix="chorus-services-"))
    stack.callback(shutil.rmtree, workdir, ignore_errors=True)
    try:
        services = stack.enter_context(
            running_services(workdir, database_name="chorus_test", log=_reporter(config))
        )
    except DevServicesError as error:
        # pytest_sessionfinish does not run when this hook fails.
        stack.close()
        pytest.exit(f"test services did not start: {error}", returncode=pytest.ExitCode.INTERNAL_ERROR)
    except BaseException:
        stack.close()
        raise
    config.stash[_CLEANUP] = stack
    config.stash[_SERVICES] = services
    # A developer's .env (read by the settings) must not point the browser tests elsewhere.
    fixed = {"ENVIRONMENT": "test", "FIREBASE_AUTH_EMULATOR_URL": "", "GOOGLE_SIGN_IN": "false"}
    previous = {name: os.environ.get(name) for name in [*services.env(), *fixed]}
    stack.callback(_restore_environ, previous)
    os.environ.update(services.env())
    os.environ.update(fixed)


def pytest_sessionfinish(session: pytest.Session) -> None:
    stack = session.config.stash.get(_CLEANUP, None)
    if stack is not None:
        del session.config.stash[_CLEANUP]
        stack.close()


def _reporter(config: pytest.Config) -> Callable[[str], None]:
    terminal = config.pluginmanager.get_plugin("terminalreporter")

    def log(message: str) -> None:
        if terminal is not None and config.option.verbose >= 0:
            terminal.write_line(f"[services] {message}")

    return log


def _restore_environ(previous: dict[str, str | None]) -> None:
    for name, value in previous.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@pytest.fixture(scope="session")
def services(pytestconfig: pytest.Config) -> Services:
    """The running services; their settings are in os.environ for the whole session."""
    found = pytestconfig.stash.get(_SERVICES, None)
    if found is None:
        pytest.fail("the services were not started (pytest_sessionstart of tests.plugin did not run)")
    return found


@dataclass
class FirebaseUser:
    """A user signed up on the auth emulator, with a current ID token."""

    uid: str
    email: str
    password: str
    id_token: str
    emulator_host: str
    project_id: str

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.id_token}"}

    def refresh(self) -> None:
        """Sign in again: a new ID token whose auth_time is now (whole seconds)."""
        answer = sign_in(self.emulator_host, self.email, self.password, project_id=self.project_id)
        self.id_token = answer["idToken"]


class MakeUser(Protocol):
    def __call__(self, name: str = "user") -> FirebaseUser: ...


@pytest.fixture
def make_user(services: Services) -> MakeUser:
    """A factory that signs up a new user with a unique email (`<name>-<uuid>@example.com`)."""

    def make(name: str = "user") -> FirebaseUser:
        local = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "user"
        email = f"{local}-{uuid.uuid4().hex}@example.com"
        password = f"pw-{uuid.uuid4().hex}"
        host, project = services.firebase_auth_emulator_host, services.firebase_project_id
        answer = sign_up(host, email, password, project_id=project)
        return FirebaseUser(
            uid=answer["localId"],
            email=email,
            password=password,
            id_token=answer["idToken"],
            emulator_host=host,
            project_id=project,
        )

    return make


# --- The application under test ---------------------------------------------------------------


@pytest.fixture(scope="session", autouse=True)
def migrated(services: Services) -> None:
    """The test database at the newest revision, built by running the migrations themselves."""
    from alembic import command

    from functions.cli import alembic_config

    config = alembic_config(services.database_url)
    config.attributes["configure_logging"] = False
    command.upgrade(config, "head")


@pytest.fixture(scope="session", autouse=True)
async def _close_clients() -> AsyncIterator[None]:
    """Close the session loop's database pool and Redis client, so nothing is left to the GC."""
    yield
    from shared import db, events

    await events.close()
    await db.dispose_engine()


@pytest.fixture(scope="session")
def gateway_app(migrated: None) -> Starlette:
    from functions.gateway import create_app

    return create_app()


@pytest.fixture
async def client(gateway_app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    """An in-process client for every operation (the gateway app, no sockets)."""
    transport = httpx.ASGITransport(app=gateway_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://chorus.test") as http:
        yield http


@dataclass
class ServedProcess:
    """A `chorus` server process on a free port."""

    url: str
    process: subprocess.Popen[bytes]
    log: Path


Gateway = ServedProcess


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _start(args: list[str], logdir: Path, env: dict[str, str] | None = None) -> ServedProcess:
    port = _free_port()
    log = logdir / f"{args[0]}-{port}.log"
    url = f"http://127.0.0.1:{port}"
    with log.open("wb") as output:  # the child keeps its own copy of the descriptor
        process = subprocess.Popen(
            [str(Path(sys.executable).parent / "chorus"), *args, "--host", "127.0.0.1", "--port", str(port)],
            # Invite links point at PUBLIC_URL: here, this process.
            env={**os.environ, "PUBLIC_URL": url, **(env or {})},
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"chorus {' '.join(args)} exited: {log.read_text()[-2000:]}")
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return ServedProcess(url, process, log)
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"chorus {' '.join(args)} did not answer in 30 s: {log.read_text()[-2000:]}")


def _stop(served: ServedProcess) -> None:
    if served.process.poll() is None:
        served.process.terminate()
        try:
            served.process.wait(10)
        except subprocess.TimeoutExpired:
            served.process.kill()
            served.process.wait()


@pytest.fixture(scope="session")
def gateway(migrated: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    """`chorus gateway` as a real server process on a free port."""
    served = _start(["gateway"], tmp_path_factory.mktemp("gateway"))
    yield served
    _stop(served)


class ServedFunction(Protocol):
    def __call__(self, function: str, *, env: dict[str, str] | None = None) -> ServedProcess: ...


@pytest.fixture
def serve_function(migrated: None, tmp_path: Path) -> Iterator[ServedFunction]:
    """Start `chorus serve <function>` processes; all are stopped after the test."""
    started: list[ServedProcess] = []

    def serve(function: str, *, env: dict[str, str] | None = None) -> ServedProcess:
        served = _start(["serve", function], tmp_path, env)
        started.append(served)
        return served

    yield serve
    for served in started:
        _stop(served)


# --- The web app in a real browser --------------------------------------------------------------

ROOT = Path(__file__).resolve().parents[1]
WEB_BUILD = ROOT / "frontend" / "dist"
# Screenshots of the main screens, for people to look at after a run (CI keeps them as artifacts).
SCREENSHOTS = ROOT / "test-results" / "screenshots"
# Without the background-networking flags Chromium keeps trying Google's hosts, which this
# network refuses; a fresh profile per launch keeps runs independent.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def web(migrated: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedProcess]:
    """`chorus web`: the API, the relay and the built SPA behind one address, as a real process."""
    if not (WEB_BUILD / "index.html").exists():
        pytest.fail("the web app is not built: run `make test` (or `npm --prefix frontend run build`)")
    served = _start(["web"], tmp_path_factory.mktemp("web"))
    yield served
    _stop(served)


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    """Debian's Chromium driven by Playwright (headless; `make test` installs it when missing)."""
    from playwright.async_api import async_playwright

    executable = os.environ.get("CHROMIUM") or shutil.which("chromium")
    if not executable:
        pytest.fail("Chromium is not installed: run `make chromium` (Debian's chromium package)")
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield launched
        await launched.close()
