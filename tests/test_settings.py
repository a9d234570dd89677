from __future__ import annotations

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


def test_settings_production_accepts_real_configuration() -> None:
    settings = Settings(
        environment="production",
        database_url=STRONG,
        firebase_project_id="chorus-prod",
        firebase_auth_emulator_host="",
    )
    assert not settings.emulator


def test_settings_development_allows_defaults() -> None:
    assert Settings(environment="development", firebase_auth_emulator_host="127.0.0.1:9099").emulator
