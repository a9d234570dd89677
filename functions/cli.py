"""The `chorus` command: run the system, one function, the gateway, migrations, the OpenAPI document."""

from __future__ import annotations

import contextlib
import gc
import json
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from alembic.config import Config

ROOT = Path(__file__).resolve().parents[1]

# Uvicorn cancels what is still running after this; Knative and Kubernetes wait 30 s by default.
GRACEFUL_SECONDS = 8

# The scheduled jobs (shared/jobs.py), named here so that `chorus` starts without importing them;
# the CronJobs are generated from this list (functions/manifests.py).
JOB_NAMES: tuple[str, ...] = ("materialize", "missed", "remind", "sweep", "prune")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """The `chorus` command: run the system, one function, the gateway, migrations, OpenAPI."""


def _serve(
    app: str,
    *,
    host: str,
    port: int,
    factory: bool = False,
    compress_websockets: bool = True,
    websockets: bool = True,
) -> None:
    """Serve `app` under uvicorn; with `websockets`, the relay's WebSocket protocol and frame limit."""
    # Start-up allocates ~100k objects that live as long as the process: collecting them while
    # importing is wasted time (~100 ms of a function's cold start), and so is scanning them in
    # every full collection afterwards. Load the app without the collector, then freeze what it made.
    gc.disable()
    import uvicorn

    from shared.observability import configure_logging
    from shared.settings import get_settings

    configure_logging(get_settings().log_level)
    # An API function serves no WebSockets: uvicorn then need not import a WebSocket library.
    ws: dict[str, Any] = {"ws": "none"}
    if websockets:
        from functions.relay import MAX_FRAME, WebSocketProtocol

        ws = {"ws": WebSocketProtocol, "ws_max_size": MAX_FRAME}
        ws["ws_per_message_deflate"] = compress_websockets
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        factory=factory,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=GRACEFUL_SECONDS,
        proxy_headers=True,
        forwarded_allow_ips="*",
        **ws,
    )
    config.load()
    gc.freeze()
    gc.enable()
    server = uvicorn.Server(config)
    # uvicorn shuts down gracefully on Ctrl-C, then raises it again: that is a clean stop, not an
    # error (click would print "Aborted!" and exit 1, and `make run` report a failure).
    with contextlib.suppress(KeyboardInterrupt):
        server.run()
    if not server.started:
        sys.exit(3)  # what uvicorn.run does when start-up fails (a port in use, a lifespan error)


def _port(given: int | None, default: int) -> int:
    return given or int(os.environ.get("PORT", default))


@cli.command()
@click.argument("function")
@click.option("--host", default="0.0.0.0", show_default=True)
@click.option("--port", type=int, help="default: $PORT, else 8080")
def serve(function: str, host: str, port: int | None) -> None:
    """Serve one FUNCTION (e.g. households.get_household or get_household) plus /healthz, /readyz and
    /metrics. SIGTERM lets in-flight requests finish."""
    gc.disable()  # the registry imports the runtime, so start-up begins here (see _serve)
    from functions.registry import module_path

    try:
        module = module_path(function)
    except KeyError as error:
        raise click.BadParameter(str(error.args[0]), param_hint="FUNCTION") from None
    _serve(f"{module}:app", host=host, port=_port(port, 8080), websockets=False)


@cli.command()
@click.option("--host", default="0.0.0.0", show_default=True)
@click.option("--port", type=int, help="default: $PORT, else 8000")
def gateway(host: str, port: int | None) -> None:
    """Serve every function in one process, with /openapi.json and /doc."""
    _serve("functions.gateway:create_app", host=host, port=_port(port, 8000), factory=True, websockets=False)


@cli.command()
@click.option("--host", default="0.0.0.0", show_default=True)
@click.option("--port", type=int, help="default: $PORT, else 8001")
def relay(host: str, port: int | None) -> None:
    """Serve the WebSocket relay (/ws): household events, live, to signed-in browsers."""
    # Frames are ~250 bytes: permessage-deflate saved little and cost ~13% of the relay's CPU per
    # delivery and half its memory per connection (79 → 37 KiB; bench/relay_capacity.py).
    _serve(
        "functions.relay:create_app",
        host=host,
        port=_port(port, 8001),
        factory=True,
        compress_websockets=False,
    )


@cli.command()
@click.argument("action", type=click.Choice(["upgrade", "downgrade", "check", "current"]), default="upgrade")
@click.argument("revision", required=False)
def migrate(action: str, revision: str | None) -> None:
    """Apply or undo schema migrations (REVISION: head for upgrade, -1 for downgrade by default);
    `check` fails when the models and the migrations differ."""
    from alembic import command

    config = alembic_config()
    if action == "upgrade":
        command.upgrade(config, revision or "head")
    elif action == "downgrade":
        command.downgrade(config, revision or "-1")
    elif action == "check":
        command.check(config)
    else:
        command.current(config, verbose=True)


def alembic_config(database_url: str | None = None) -> Config:
    """Alembic's config for this repository, optionally pointed at another database."""
    from alembic.config import Config

    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    if database_url:
        config.attributes["database_url"] = database_url
    return config


@cli.command()
@click.option("--output", type=click.Path(path_type=Path), default=ROOT / "openapi.json", show_default=True)
def openapi(output: Path) -> None:
    """Write the OpenAPI document built from the function registry."""
    from functions import openapi as document
    from functions.registry import all_functions

    output.write_text(json.dumps(document.build(all_functions()), indent=2, sort_keys=True) + "\n")
    click.echo(f"wrote {output}")


@cli.command()
@click.option("--check", is_flag=True, help="write nothing; fail when a generated file is missing or differs")
def manifests(check: bool) -> None:
    """Write every file generated from the function registry: the Knative Services, ingress routes,
    CronJobs and migration Job under knative/, and the AWS SAM template deploy/lambda/template.yaml."""
    from functions import manifests as generator

    files = generator.generate()
    if check:
        drifted = generator.drifted(ROOT, files)
        if drifted:
            raise click.ClickException(
                "out of date (run `chorus manifests`): " + ", ".join(str(path) for path in drifted)
            )
        click.echo(f"{len(files)} generated files are current")
        return
    changed = generator.write(ROOT, files)
    for path in changed:
        click.echo(f"{'wrote' if path.as_posix() in files else 'removed'} {path}")
    click.echo(f"{len(files)} generated files, {len(changed)} changed")


@cli.command()
@click.option("--host", default="0.0.0.0", show_default=True)
@click.option("--port", type=int, help="default: $PORT, else 8000")
def web(host: str, port: int | None) -> None:
    """Serve the API, the relay (/ws) and the built web app (frontend/dist) on one port, split by
    path as the ingress splits them in a cluster."""
    _serve("functions.web:create_app", host=host, port=_port(port, 8000), factory=True)


@cli.command()
@click.option("--port", type=int, default=8000, show_default=True)
@click.option(
    "--data",
    type=click.Path(path_type=Path),
    default=ROOT / ".chorus",
    show_default=True,
    help="where PostgreSQL, Redis and the emulator keep their data",
)
def dev(port: int, data: Path) -> None:
    """Run the whole system on embedded services: PostgreSQL, Redis, the Auth emulator, and the API,
    the relay and the web app behind one address."""
    from alembic import command

    from functions.devservices import running_services

    data.mkdir(parents=True, exist_ok=True)
    with running_services(data, keep_accounts=True) as services:
        os.environ.update(services.env())
        os.environ.setdefault("ENVIRONMENT", "development")
        os.environ.setdefault("PUBLIC_URL", f"http://localhost:{port}")
        command.upgrade(alembic_config(), "head")
        (data / "services.json").write_text(json.dumps(services.env()))
        url = f"http://localhost:{port}"
        click.echo(
            f"\nChorus is running at {url}\n"
            f"  API docs:        {url}/doc\n"
            f"  Live events:     ws://localhost:{port}/ws (docs/relay-protocol.md)\n"
            f"  Auth emulator:   http://{services.firebase_auth_emulator_host}\n"
            f"  A test token:    .venv/bin/chorus token alice@example.com\n"
            f"Press Ctrl-C to stop.\n"
        )
        _serve("functions.web:create_app", host="0.0.0.0", port=port, factory=True)


@cli.command()
@click.argument("email")
@click.option("--password", default="chorus-dev-password", show_default=True)
@click.option("--emulator", help="host:port of the Auth emulator; default: the running `make run`")
def token(email: str, password: str, emulator: str | None) -> None:
    """Print a Firebase ID token for EMAIL from the Auth emulator (signs the user up on first use)."""
    from functions.devservices import sign_in, sign_up

    host = (
        emulator
        or os.environ.get("FIREBASE_AUTH_EMULATOR_HOST")
        or _dev_setting("FIREBASE_AUTH_EMULATOR_HOST")
    )
    project = os.environ.get("FIREBASE_PROJECT_ID") or _dev_setting("FIREBASE_PROJECT_ID")
    try:
        answer = sign_in(host, email, password, project_id=project)
    except Exception:
        answer = sign_up(host, email, password, project_id=project)
    click.echo(answer["idToken"])


def _dev_setting(name: str) -> str:
    state = ROOT / ".chorus" / "services.json"
    if not state.exists():
        raise click.UsageError("no running Chorus found: start `make run` first, or pass --emulator")
    return str(json.loads(state.read_text())[name])


@cli.command()
@click.argument("name", type=click.Choice(JOB_NAMES))
@click.option("--now", type=click.DateTime(), help="pretend it is this UTC time (testing, backfills)")
def job(name: str, now: datetime | None) -> None:
    """Run one scheduled job once and exit (a Kubernetes CronJob runs the same)."""
    import asyncio

    from shared import db, events, jobs
    from shared.observability import configure_logging, push_job_metrics
    from shared.settings import get_settings

    configure_logging(get_settings().log_level)

    settings = get_settings()

    async def once() -> jobs.JobResult:
        try:
            return await jobs.run(name, now=now.replace(tzinfo=UTC) if now else None)
        finally:
            await events.close()
            await db.dispose_engine()

    started = time.perf_counter()
    try:
        result = asyncio.run(once())
    except Exception:
        if settings.pushgateway_url:
            push_job_metrics(
                settings.pushgateway_url,
                job=name,
                seconds=time.perf_counter() - started,
                changed={},
                failed=True,
            )
        raise
    if settings.pushgateway_url and not result.skipped:
        push_job_metrics(
            settings.pushgateway_url, job=name, seconds=result.seconds, changed=result.changed, failed=False
        )
    click.echo(json.dumps({"job": name, "skipped": result.skipped, "changed": result.changed}))


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
