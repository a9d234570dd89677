"""docker-compose.yml: compose accepts it, every variable is documented, health checks gate the start order.

The file is resolved by Debian's `docker-compose` itself, once with no settings at all and once
with .env.example, and checked against the Compose Specification's JSON schema (the format Compose v2
reads). tests/test_images.py runs the backend services' commands as their containers do.

Which `docker-compose` that is depends on the Debian release: bookworm's is 1.29 (Python), whose
`config` prints ports and volumes in the short syntax ("127.0.0.1:8000:8080/tcp",
"postgres-data:/var/lib/postgresql/data:rw"); trixie's (the CI image) is Compose v2 (Go), which
prints the long syntax (mappings with host_ip/published/target, type/source/target/read_only).
`port()` and `volume()` read either into one form, so every check below holds for both.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import urlsplit

import pytest
import yaml  # type: ignore[import-untyped, unused-ignore]  # no stubs in the dev group

from shared.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
COMPOSE_FILE = ROOT / "docker-compose.yml"
ENV_EXAMPLE = ROOT / ".env.example"
NGINX_COMPOSE_CONF = ROOT / "frontend" / "nginx" / "compose.conf"

SERVICES = frozenset({"postgres", "redis", "auth-emulator", "migrate", "gateway", "relay", "frontend"})
# Run once and exit; everything else runs until stopped and has a health check.
ONE_SHOTS = frozenset({"migrate"})
BACKEND = ("migrate", "gateway", "relay")
# Who waits for whom, and for what: health, or a successful exit.
DEPENDS_ON = {
    "postgres": {},
    "redis": {},
    "auth-emulator": {},
    "migrate": {"postgres": "service_healthy"},
    "gateway": {
        "migrate": "service_completed_successfully",
        "redis": "service_healthy",
        "auth-emulator": "service_healthy",
    },
    "relay": {"migrate": "service_completed_successfully", "redis": "service_healthy"},
    "frontend": {"gateway": "service_healthy", "relay": "service_healthy"},
}
# host port -> (service, container port): the one address, and the services a host-side
# `chorus` (and the browser, for the emulator) uses. The gateway and the relay stay unpublished.
PUBLISHED = {
    8000: ("frontend", 8080),
    9099: ("auth-emulator", 9099),
    5432: ("postgres", 5432),
    6379: ("redis", 6379),
}
# The compose network's addresses, which .env (the host's view) must not change.
NETWORK_ADDRESSES = {
    "REDIS_URL": "redis://redis:6379/0",
    "FIREBASE_AUTH_EMULATOR_HOST": "auth-emulator:9099",
}

_VARIABLE = re.compile(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)")
# Compose 1.29 prints "WARNING: ..."; Compose v2 logs "WARN[0000] ..." or `level=warning msg=...`.
_WARNING = re.compile(r"\bwarn", re.IGNORECASE)
# A `ports:` entry in the short syntax, as 1.29's `config` prints it: [HOST_IP:][HOST_PORT:]PORT[/PROTO].
# An address has dots (IPv4) or brackets (IPv6), so "8000:8080" is a host port, not an address.
_SHORT_PORT = re.compile(
    r"(?:(?P<host_ip>\d+\.\d+\.\d+\.\d+|\[[0-9A-Fa-f:.]+\]):)?"
    r"(?:(?P<published>\d+)?:)?(?P<target>\d+)(?:/(?P<protocol>tcp|udp|sctp))?"
)
_LONG_PORT_KEYS = frozenset({"name", "mode", "host_ip", "target", "published", "protocol", "app_protocol"})


def docker_compose() -> str:
    found = shutil.which("docker-compose")
    if not found:
        pytest.fail(
            "docker-compose is not installed: run `make debian-tools` (Debian's docker-compose package)"
        )
    return found


@cache
def compose_config(env_file: Path | None = None) -> dict[str, Any]:
    """docker-compose.yml as compose resolves it: variables substituted, anchors merged, paths absolute.

    No variable of this process reaches compose (the test session sets DATABASE_URL, ENVIRONMENT
    and more); `env_file` stands in for .env, and None means no settings at all.
    """
    command = [docker_compose(), "--project-directory", str(ROOT), "--file", str(COMPOSE_FILE)]
    with tempfile.TemporaryDirectory(prefix="chorus-compose-") as home:
        empty = Path(home) / "empty.env"
        empty.write_text("")
        result = subprocess.run(
            [*command, "--env-file", str(env_file or empty), "config"],
            env={"PATH": os.environ.get("PATH", os.defpath), "HOME": home, "LANG": "C.UTF-8"},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert result.returncode == 0, f"docker-compose config refused the file:\n{result.stderr}"
    assert not _WARNING.search(result.stderr), result.stderr
    config = yaml.safe_load(result.stdout)
    assert isinstance(config, dict)
    return config


def services(env_file: Path | None = None) -> dict[str, dict[str, Any]]:
    found = compose_config(env_file)["services"]
    assert isinstance(found, dict)
    return found


class Port(NamedTuple):
    """One `ports:` entry. host_ip "" binds every interface; published None lets Docker pick one."""

    host_ip: str
    published: int | None
    target: int
    protocol: str


class Volume(NamedTuple):
    """One `volumes:` entry: a bind mount (source an absolute path) or a named volume."""

    type: str
    source: str
    target: str
    read_only: bool


def port(entry: object) -> Port:
    """A `ports:` entry as either compose's `config` prints it: a short-syntax string or a mapping."""
    if isinstance(entry, str):
        match = _SHORT_PORT.fullmatch(entry)
        if match is None:
            raise ValueError(f"not a single-port short-syntax entry: {entry!r}")
        published = match["published"]
        return Port(
            (match["host_ip"] or "").strip("[]"),
            int(published) if published else None,
            int(match["target"]),
            match["protocol"] or "tcp",
        )
    if isinstance(entry, dict):
        if not set(entry) <= _LONG_PORT_KEYS or "target" not in entry:
            raise ValueError(f"not a long-syntax port: {entry!r}")
        # Compose v2 prints `published` as a string ("8000"); older releases as a number. A range
        # ("8000-8001") fails int(), as it should: nothing here publishes one.
        published = entry.get("published")
        return Port(
            str(entry.get("host_ip") or ""),  # v2 prints an IPv6 address bare: ::1
            int(published) if published not in (None, "") else None,
            int(entry["target"]),
            str(entry.get("protocol") or "tcp"),
        )
    raise ValueError(f"not a port: {entry!r}")


def volume(entry: object) -> Volume:
    """A `volumes:` entry as either compose's `config` prints it: SOURCE:TARGET[:MODE] or a mapping."""
    if isinstance(entry, str):
        parts = entry.split(":")
        if len(parts) == 1:
            source, target, mode = "", parts[0], ""  # an anonymous volume
        elif len(parts) in (2, 3):
            source, target, mode = parts[0], parts[1], parts[2] if len(parts) == 3 else ""
        else:
            raise ValueError(f"not a short-syntax volume: {entry!r}")
        kind = "bind" if source.startswith(("/", ".", "~")) else "volume"
        return Volume(kind, source, target, "ro" in mode.split(","))
    if isinstance(entry, dict):
        if "type" not in entry or "target" not in entry:
            raise ValueError(f"not a long-syntax volume: {entry!r}")
        return Volume(
            str(entry["type"]),
            str(entry.get("source", "")),
            str(entry["target"]),
            bool(entry.get("read_only")),
        )
    raise ValueError(f"not a volume: {entry!r}")


def published_ports(service: dict[str, Any]) -> list[Port]:
    return [port(entry) for entry in service.get("ports", [])]


def mounted_volumes(service: dict[str, Any]) -> list[Volume]:
    return [volume(entry) for entry in service.get("volumes", [])]


def _strings(node: object) -> list[str]:
    if isinstance(node, dict):
        return [text for key, value in node.items() for text in (*_strings(key), *_strings(value))]
    if isinstance(node, list):
        return [text for item in node for text in _strings(item)]
    return [node] if isinstance(node, str) else []


# `config`'s output for two services of this file: Compose 1.29 (as Debian bookworm's prints it) and
# Compose v2 (the long syntax, as compose-go marshals it). Both read the same.
CONFIG_V1 = """
services:
  frontend:
    ports:
    - 127.0.0.1:8000:8080/tcp
    volumes:
    - /src/chorus/frontend/nginx/compose.conf:/etc/nginx/conf.d/default.conf:ro
  postgres:
    ports:
    - 127.0.0.1:5432:5432/tcp
    volumes:
    - postgres-data:/var/lib/postgresql/data:rw
"""
CONFIG_V2 = """
services:
  frontend:
    ports:
      - mode: ingress
        host_ip: 127.0.0.1
        target: 8080
        published: "8000"
        protocol: tcp
    volumes:
      - type: bind
        source: /src/chorus/frontend/nginx/compose.conf
        target: /etc/nginx/conf.d/default.conf
        read_only: true
        bind:
          create_host_path: true
  postgres:
    ports:
      - mode: ingress
        host_ip: 127.0.0.1
        target: 5432
        published: "5432"
        protocol: tcp
    volumes:
      - type: volume
        source: postgres-data
        target: /var/lib/postgresql/data
        volume: {}
"""


@pytest.mark.parametrize("printed", [CONFIG_V1, CONFIG_V2], ids=["compose-1.29", "compose-v2"])
def test_compose_port_and_volume_read_either_syntax_alike(printed: str) -> None:
    resolved = yaml.safe_load(printed)["services"]
    assert published_ports(resolved["frontend"]) == [Port("127.0.0.1", 8000, 8080, "tcp")]
    assert published_ports(resolved["postgres"]) == [Port("127.0.0.1", 5432, 5432, "tcp")]
    assert mounted_volumes(resolved["frontend"]) == [
        Volume("bind", "/src/chorus/frontend/nginx/compose.conf", "/etc/nginx/conf.d/default.conf", True)
    ]
    assert mounted_volumes(resolved["postgres"]) == [
        Volume("volume", "postgres-data", "/var/lib/postgresql/data", False)
    ]


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        # No address: every interface, which the loopback check must see as not 127.0.0.1.
        ("8000:8080/tcp", Port("", 8000, 8080, "tcp")),
        (
            {"mode": "ingress", "target": 8080, "published": "8000", "protocol": "tcp"},
            Port("", 8000, 8080, "tcp"),
        ),
        ("0.0.0.0:8000:8080/tcp", Port("0.0.0.0", 8000, 8080, "tcp")),
        ("[::1]:8000:8080/tcp", Port("::1", 8000, 8080, "tcp")),
        ({"host_ip": "::1", "target": 8080, "published": "8000"}, Port("::1", 8000, 8080, "tcp")),
        # No host port: Docker picks one.
        ("127.0.0.1::8080/tcp", Port("127.0.0.1", None, 8080, "tcp")),
        ("8080/tcp", Port("", None, 8080, "tcp")),
        ({"mode": "ingress", "target": 8080, "protocol": "tcp"}, Port("", None, 8080, "tcp")),
        # Older v2 releases print `published` as a number; UDP stays UDP.
        (
            {"host_ip": "127.0.0.1", "target": 53, "published": 5353, "protocol": "udp"},
            Port("127.0.0.1", 5353, 53, "udp"),
        ),
    ],
)
def test_compose_port_reads_what_loopback_check_must_refuse(entry: object, expected: Port) -> None:
    assert port(entry) == expected


@pytest.mark.parametrize(
    "entry",
    [
        "127.0.0.1:8000-8001:8000-8001/tcp",
        "localhost:8000:8080",
        {"published": "8000"},
        {"target": 1, "x": 2},
        8080,
    ],
)
def test_compose_port_refuses_what_it_cannot_read(entry: object) -> None:
    with pytest.raises(ValueError, match="port"):
        port(entry)


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ("/srv/conf:/etc/conf", Volume("bind", "/srv/conf", "/etc/conf", False)),
        ("/srv/conf:/etc/conf:ro,z", Volume("bind", "/srv/conf", "/etc/conf", True)),
        ("data:/var/data:rw", Volume("volume", "data", "/var/data", False)),
        ("/var/data", Volume("volume", "", "/var/data", False)),
        (
            {"type": "bind", "source": "/srv/conf", "target": "/etc/conf"},
            Volume("bind", "/srv/conf", "/etc/conf", False),
        ),
        ({"type": "volume", "target": "/var/data", "volume": {}}, Volume("volume", "", "/var/data", False)),
    ],
)
def test_compose_volume_reads_mode_and_kind(entry: object, expected: Volume) -> None:
    assert volume(entry) == expected


@pytest.mark.parametrize(
    "stderr",
    [
        "WARNING: The FOO variable is not set. Defaulting to a blank string.\n",
        'WARN[0000] The "FOO" variable is not set. Defaulting to a blank string.\n',
        'time="2025-01-01T00:00:00Z" level=warning msg="The \\"FOO\\" variable is not set."\n',
    ],
)
def test_compose_config_warning_is_seen_from_either_compose(stderr: str) -> None:
    assert _WARNING.search(stderr)


def test_compose_config_accepts_file_with_no_settings() -> None:
    resolved = services()
    assert set(resolved) == SERVICES
    assert resolved["gateway"]["environment"]["DATABASE_URL"] == (
        "postgresql+asyncpg://chorus:chorus@postgres:5432/chorus"
    )


def test_compose_config_with_env_example_equals_the_defaults() -> None:
    # .env.example documents the defaults: copying it to .env changes nothing in the stack, and in
    # particular none of its host-side addresses (localhost) reaches a container.
    assert compose_config(ENV_EXAMPLE) == compose_config()


def test_compose_file_matches_compose_specification_schema() -> None:
    checker = Path(sys.executable).parent / "check-jsonschema"
    if not checker.exists():
        pytest.fail("check-jsonschema is missing from .venv: run `make install`")
    result = subprocess.run(
        [str(checker), "--builtin-schema", "vendor.compose-spec", str(COMPOSE_FILE)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_compose_variables_are_documented_in_env_example() -> None:
    # Compose substitutes variables in the file's values, not in its comments.
    used = set(_VARIABLE.findall("\n".join(_strings(yaml.safe_load(COMPOSE_FILE.read_text())))))
    documented = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]*)=", ENV_EXAMPLE.read_text(), re.MULTILINE))
    assert used >= {"POSTGRES_PASSWORD", "FIREBASE_PROJECT_ID"}
    assert sorted(used - documented) == []


def test_compose_long_running_services_have_health_checks() -> None:
    for name, service in services().items():
        if name in ONE_SHOTS:
            assert "healthcheck" not in service, name
            assert service["restart"] == "no", name
        else:
            check = service.get("healthcheck", {})
            assert check.get("test", ["NONE"])[0] in ("CMD", "CMD-SHELL"), f"{name} has no health check"
            assert not check.get("disable", False), name


def test_compose_depends_on_waits_for_health_and_migrations() -> None:
    found = {
        name: {dependency: rule["condition"] for dependency, rule in service.get("depends_on", {}).items()}
        for name, service in services().items()
    }
    assert found == DEPENDS_ON


def test_compose_ports_bind_loopback_only() -> None:
    published: dict[int, tuple[str, int]] = {}
    for name, service in services().items():
        for entry in published_ports(service):
            assert entry.host_ip == "127.0.0.1", f"{name} publishes {entry} beyond loopback"
            assert entry.protocol == "tcp", f"{name}: {entry}"
            assert entry.published is not None, f"{name} publishes {entry.target} on a random port"
            assert entry.published not in published, f"{name} and {published[entry.published]}"
            published[entry.published] = (name, entry.target)
    assert published == PUBLISHED


def test_compose_postgres_keeps_its_data_in_a_named_volume() -> None:
    config = compose_config()
    assert mounted_volumes(config["services"]["postgres"]) == [
        Volume("volume", "postgres-data", "/var/lib/postgresql/data", read_only=False)
    ]
    assert "postgres-data" in config["volumes"]
    # Nothing else mounts anything but the frontend's nginx configuration.
    assert {name for name, service in config["services"].items() if service.get("volumes")} == {
        "postgres",
        "frontend",
    }


def test_compose_backend_services_share_one_image() -> None:
    resolved = services()
    for name in BACKEND:
        assert resolved[name]["image"] == "chorus-backend:dev", name
        assert resolved[name]["build"] == {"context": str(ROOT), "dockerfile": "Dockerfile"}, name
    # One environment, but for the port each server listens on (its health check reads $PORT).
    environments = [
        {key: value for key, value in resolved[name]["environment"].items() if key != "PORT"}
        for name in BACKEND
    ]
    assert all(environment == environments[0] for environment in environments)
    assert "PORT" not in resolved["migrate"]["environment"]
    assert resolved["gateway"]["environment"]["PORT"] == "8000"
    assert resolved["relay"]["environment"]["PORT"] == "8001"
    for name in ("gateway", "relay"):
        assert "os.environ['PORT']" in resolved[name]["healthcheck"]["test"][-1]
        assert "/readyz" in resolved[name]["healthcheck"]["test"][-1]


def test_compose_backend_settings_load_and_point_the_browser_at_published_ports(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    resolved = services()
    environment = resolved["gateway"]["environment"]
    for name, value in NETWORK_ADDRESSES.items():
        assert environment[name] == value
    ports = {host: name for host, (name, _) in PUBLISHED.items()}
    # The browser opens the frontend and signs in against the emulator, both on localhost.
    public = urlsplit(environment["PUBLIC_URL"])
    assert (public.hostname, ports[public.port or 80]) == ("localhost", "frontend")
    emulator = urlsplit(environment["FIREBASE_AUTH_EMULATOR_URL"])
    assert (emulator.hostname, ports[emulator.port or 80]) == ("localhost", "auth-emulator")
    # The emulator issues tokens for the project the backend accepts.
    assert resolved["auth-emulator"]["command"] == ["--project", environment["FIREBASE_PROJECT_ID"]]
    # The settings accept this environment as it stands (no .env file, nothing else).
    for name in list(os.environ):
        monkeypatch.delenv(name)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    settings = Settings(_env_file=None)
    assert settings.environment == "development"
    assert settings.emulator
    assert settings.database_url == "postgresql+asyncpg://chorus:chorus@postgres:5432/chorus"


def test_compose_frontend_passes_api_to_gateway_and_ws_to_relay() -> None:
    resolved = services()
    frontend = resolved["frontend"]
    assert frontend["build"] == {"context": str(ROOT / "frontend"), "dockerfile": "Dockerfile"}
    assert mounted_volumes(frontend) == [
        Volume("bind", str(NGINX_COMPOSE_CONF), "/etc/nginx/conf.d/default.conf", read_only=True)
    ]
    assert frontend["healthcheck"]["test"][-1] == "http://127.0.0.1:8080/healthz"
    # compose.conf names its upstreams by service name and port: they are these services' $PORT.
    upstreams = dict(
        re.findall(r"^\s*set \$(\w+) http://([\w-]+:\d+);", NGINX_COMPOSE_CONF.read_text(), re.M)
    )
    assert upstreams == {"gateway": "gateway:8000", "relay": "relay:8001"}
    for name, address in upstreams.items():
        host, port = address.split(":")
        assert host == name
        assert resolved[name]["environment"]["PORT"] == port
