"""Engine and session factory, cached per process and event loop."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.pool import NullPool

from shared.settings import Settings, get_settings

# asyncpg connections belong to the loop that opened them; Mangum and tests may run several.
_engines: dict[asyncio.AbstractEventLoop, tuple[AsyncEngine, async_sessionmaker[AsyncSession]]] = {}


def _unique_statement_name() -> str:
    return f"__asyncpg_{uuid.uuid4()}__"


def create_engine(settings: Settings) -> AsyncEngine:
    """An engine configured for many small processes (Knative) or none at all (Lambda, PgBouncer)."""
    connect_args: dict[str, Any] = {
        "statement_cache_size": settings.db_statement_cache_size,
        "server_settings": {
            "application_name": "chorus",
            "statement_timeout": str(settings.db_statement_timeout_ms),
        },
    }
    if settings.db_statement_cache_size == 0:
        # Behind PgBouncer in transaction mode: SQLAlchemy still prepares each statement under a
        # generated name, which another client's session may already hold on the same server
        # connection. Unique names (and no cache of them) cannot collide.
        connect_args["prepared_statement_cache_size"] = 0
        connect_args["prepared_statement_name_func"] = _unique_statement_name
    if settings.db_pool == "null":
        return create_async_engine(settings.database_url, poolclass=NullPool, connect_args=connect_args)
    return create_async_engine(
        settings.database_url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_timeout=settings.db_pool_timeout,
        pool_pre_ping=False,
        pool_recycle=1800,
        connect_args=connect_args,
    )


def _for_loop() -> tuple[AsyncEngine, async_sessionmaker[AsyncSession]]:
    loop = asyncio.get_running_loop()
    found = _engines.get(loop)
    if found is None:
        for old in [old for old in _engines if old.is_closed()]:
            del _engines[old]
        engine = create_engine(get_settings())
        found = (engine, async_sessionmaker(engine, expire_on_commit=False, autoflush=False))
        _engines[loop] = found
    return found


def get_engine() -> AsyncEngine:
    """The engine of the running event loop."""
    return _for_loop()[0]


@asynccontextmanager
async def session_scope() -> AsyncIterator[AsyncSession]:
    """A session; anything not committed by a service is rolled back on exit."""
    async with _for_loop()[1]() as session:
        yield session


async def dispose_engine() -> None:
    """Close the running loop's pool (app shutdown, tests)."""
    found = _engines.pop(asyncio.get_running_loop(), None)
    if found is not None:
        await found[0].dispose()
