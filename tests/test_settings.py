from __future__ import annotations

import re

import pytest
from pydantic import ValidationError

from shared.settings import Settings

STRONG = "postgresql+asyncpg://chorus:s3cret-from-vault@db:5432/chorus"


def test_settings_production_refuses_auth_emulator() -> None:
    with pytest.raises(ValidationError, match="FIREBASE_AUTH_EMULATOR_HOST"):
        Settings(
            environment="production",
            database_url=STRONG,
            firebase_project_id="chorus-prod",
            firebase_auth_emulator_host="127.0.0.1:9099",
        )


@pytest.mark.parametrize(
    "url",
    [
        "postgresql+asyncpg://chorus:chorus@db/chorus",
        "postgresql+asyncpg://chorus@db/chorus",
        "postgresql+asyncpg://chorus:postgres@db/chorus",
    ],
)
def test_settings_production_refuses_default_database_password(url: str) -> None:
    with pytest.raises(ValidationError, match="password"):
        Settings(
            environment="production",
            database_url=url,
            firebase_project_id="chorus-prod",
            firebase_auth_emulator_host="",
        )


def test_settings_production_refuses_demo_project() -> None:
    with pytest.raises(ValidationError, match="demo"):
        Settings(
            environment="production",
            database_url=STRONG,
            firebase_project_id="demo-chorus",
            firebase_auth_emulator_host="",
        )


def test_settings_production_refuses_emulator_url_for_browsers() -> None:
    with pytest.raises(ValidationError, match="FIREBASE_AUTH_EMULATOR"):
        Settings(
            environment="production",
            database_url=STRONG,
            firebase_project_id="chorus-prod",
            firebase_auth_emulator_host="",
            firebase_auth_emulator_url="http://localhost:9099",
            firebase_web_api_key="AIzaSyReal",
        )


def test_settings_production_refuses_demo_web_api_key() -> None:
    with pytest.raises(ValidationError, match="FIREBASE_WEB_API_KEY"):
        Settings(
            environment="production",
            database_url=STRONG,
            firebase_project_id="chorus-prod",
            firebase_auth_emulator_host="",
        )


def test_settings_production_accepts_real_configuration() -> None:
    settings = Settings(
        environment="production",
        database_url=STRONG,
        firebase_project_id="chorus-prod",
        firebase_auth_emulator_host="",
        firebase_web_api_key="AIzaSyReal",
    )
    assert not settings.emulator


def test_settings_development_allows_defaults() -> None:
    assert Settings(environment="development", firebase_auth_emulator_host="127.0.0.1:9099").emulator


def test_settings_every_variable_is_documented_in_env_example() -> None:
    from pathlib import Path

    example = (Path(__file__).resolve().parents[1] / ".env.example").read_text()
    documented = {line.split("=", 1)[0] for line in example.splitlines() if re.match(r"^[A-Z_]+=", line)}
    assert {name.upper() for name in Settings.model_fields} <= documented
