"""The `chorus` command: run the system, one function, the gateway, migrations, the OpenAPI document."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from alembic.config import Config

ROOT = Path(__file__).resolve().parents[1]
cli = typer.Typer(no_args_is_help=True, add_completion=False, help=__doc__)

# Uvicorn cancels what is still running after this; Knative and Kubernetes wait 30 s by default.
GRACEFUL_SECONDS = 8


def _serve(app: str, *, host: str, port: int, factory: bool = False) -> None:
    import uvicorn

    from shared.observability import configure_logging
    from shared.settings import get_settings

    configure_logging(get_settings().log_level)
    uvicorn.run(
        app,
        host=host,
        port=port,
        factory=factory,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=GRACEFUL_SECONDS,
        proxy_headers=True,
        forwarded_allow_ips="*",
    )


def _port(default: int) -> int:
    return int(os.environ.get("PORT", default))


@cli.command()
def serve(
    function: Annotated[str, typer.Argument(help="e.g. households.create_household or create_household")],
    host: str = "0.0.0.0",
    port: Annotated[int | None, typer.Option(help="default: $PORT, else 8080")] = None,
) -> None:
    """Serve one function (plus /healthz, /readyz, /metrics); SIGTERM lets in-flight requests finish."""
    from functions.registry import module_path

    try:
        module = module_path(function)
    except KeyError as error:
        raise typer.BadParameter(str(error.args[0])) from None
    _serve(f"{module}:app", host=host, port=port or _port(8080))


@cli.command()
def gateway(
    host: str = "0.0.0.0",
    port: Annotated[int | None, typer.Option(help="default: $PORT, else 8000")] = None,
) -> None:
    """Serve every function in one process, with /openapi.json and /doc."""
    _serve("functions.gateway:create_app", host=host, port=port or _port(8000), factory=True)


@cli.command()
def migrate(
    action: Annotated[str, typer.Argument(help="upgrade, downgrade, check or current")] = "upgrade",
    revision: Annotated[str | None, typer.Argument(help="default: head (upgrade), -1 (downgrade)")] = None,
) -> None:
    """Apply or undo schema migrations; `check` fails when the models and migrations differ."""
    from alembic import command

    config = alembic_config()
    if action == "upgrade":
        command.upgrade(config, revision or "head")
    elif action == "downgrade":
        command.downgrade(config, revision or "-1")
    elif action == "check":
        command.check(config)
    elif action == "current":
        command.current(config, verbose=True)
    else:
        raise typer.BadParameter("action must be upgrade, downgrade, check or current")


def alembic_config(database_url: str | None = None) -> Config:
    """Alembic's config for this repository, optionally pointed at another database."""
    from alembic.config import Config

    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    if database_url:
        config.attributes["database_url"] = database_url
    return config


@cli.command()
def openapi(output: Path = ROOT / "openapi.json") -> None:
    """Write the OpenAPI document built from the function registry."""
    from functions import openapi as document
    from functions.registry import all_functions

    output.write_text(json.dumps(document.build(all_functions()), indent=2, sort_keys=True) + "\n")
    typer.echo(f"wrote {output}")


@cli.command()
def dev(
    port: int = 8000,
    data: Annotated[Path, typer.Option(help="where embedded PostgreSQL and Redis keep data")] = ROOT
    / ".chorus",
) -> None:
    """Run the whole system on embedded services: PostgreSQL, Redis, the Auth emulator, the gateway."""
    from functions.devservices import running_services

    data.mkdir(parents=True, exist_ok=True)
    with running_services(data, keep_accounts=True) as services:
        os.environ.update(services.env())
        os.environ.setdefault("ENVIRONMENT", "development")
        os.environ.setdefault("PUBLIC_URL", f"http://localhost:{port}")
        from alembic import command

        command.upgrade(alembic_config(), "head")
        (data / "services.json").write_text(
            json.dumps(services.env() | {"firebase_auth_emulator_host": services.firebase_auth_emulator_host})
        )
        url = f"http://localhost:{port}"
        typer.echo(
            f"\nChorus is running at {url}\n"
            f"  API docs:        {url}/doc\n"
            f"  Auth emulator:   http://{services.firebase_auth_emulator_host}\n"
            f"  A test token:    .venv/bin/chorus token alice@example.com\n"
            f"Press Ctrl-C to stop.\n"
        )
        _serve("functions.gateway:create_app", host="0.0.0.0", port=port, factory=True)


@cli.command()
def token(
    email: str,
    password: str = "chorus-dev-password",
    emulator: Annotated[str | None, typer.Option(help="default: the running `chorus dev` emulator")] = None,
) -> None:
    """Print a Firebase ID token from the Auth emulator (signs the user up on first use)."""
    from functions.devservices import sign_in, sign_up

    host = emulator or os.environ.get("FIREBASE_AUTH_EMULATOR_HOST") or _dev_emulator_host()
    project = os.environ.get("FIREBASE_PROJECT_ID", "demo-chorus")
    try:
        answer = sign_in(host, email, password, project_id=project)
    except Exception:
        answer = sign_up(host, email, password, project_id=project)
    typer.echo(answer["idToken"])


def _dev_emulator_host() -> str:
    state = ROOT / ".chorus" / "services.json"
    if not state.exists():
        raise typer.BadParameter("no emulator found: start `make run` first or pass --emulator")
    return str(json.loads(state.read_text())["firebase_auth_emulator_host"])


def main() -> None:
    cli()
