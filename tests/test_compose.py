"""docker-compose.yml: compose accepts it, every variable is documented, health checks gate the start order.

The file is resolved by Debian's `docker-compose` (1.29) itself, once with no settings at all and
once with .env.example, and checked against the Compose Specification's JSON schema (the format
Compose v2 reads). tests/test_images.py runs the backend services' commands as their containers do.
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
from typing import Any
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
    assert "WARNING" not in result.stderr, result.stderr
    config = yaml.safe_load(result.stdout)
    assert isinstance(config, dict)
    return config


def services(env_file: Path | None = None) -> dict[str, dict[str, Any]]:
    found = compose_config(env_file)["services"]
    assert isinstance(found, dict)
    return found


def published_ports(service: dict[str, Any]) -> list[tuple[str, int, int]]:
    """(host address, host port, container port) of each `ports:` entry, as `config` prints them."""
    ports = []
    for entry in service.get("ports", []):
        address, host, container = str(entry).removesuffix("/tcp").split(":")
        ports.append((address, int(host), int(container)))
    return ports


def _strings(node: object) -> list[str]:
    if isinstance(node, dict):
        return [text for key, value in node.items() for text in (*_strings(key), *_strings(value))]
    if isinstance(node, list):
        return [text for item in node for text in _strings(item)]
    return [node] if isinstance(node, str) else []


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
    published = {}
    for name, service in services().items():
        for address, host, container in published_ports(service):
            assert address == "127.0.0.1", f"{name} publishes {host} on {address}"
            published[host] = (name, container)
    assert published == PUBLISHED


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
    assert frontend["volumes"] == [f"{NGINX_COMPOSE_CONF}:/etc/nginx/conf.d/default.conf:ro"]
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
