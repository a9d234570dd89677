"""Migrations run both ways on a fresh database and match the models exactly."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator

import asyncpg
import pytest
from alembic import command
from sqlalchemy.engine import make_url

from functions.cli import alembic_config
from functions.devservices import Services


def _admin_dsn(database_url: str) -> str:
    url = make_url(database_url).set(drivername="postgresql", database="postgres")
    return url.render_as_string(hide_password=False)


@pytest.fixture
def scratch_database(services: Services) -> Iterator[str]:
    name = f"chorus_migrations_{uuid.uuid4().hex[:8]}"
    dsn = _admin_dsn(services.database_url)

    async def run(sql: str) -> None:
        connection = await asyncpg.connect(dsn)
        try:
            await connection.execute(sql)
        finally:
            await connection.close()

    asyncio.run(run(f'CREATE DATABASE "{name}"'))
    yield make_url(services.database_url).set(database=name).render_as_string(hide_password=False)
    asyncio.run(run(f'DROP DATABASE "{name}" WITH (FORCE)'))


def test_migrations_upgrade_downgrade_upgrade(scratch_database: str) -> None:
    config = alembic_config(scratch_database)
    config.attributes["configure_logging"] = False
    command.upgrade(config, "head")
    command.downgrade(config, "base")
    command.upgrade(config, "head")
    # Fails with "New upgrade operations detected" when a model change has no migration.
    command.check(config)
