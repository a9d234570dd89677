"""Engine and session factory, cached per process and event loop."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import sqlalchemy.exc
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.pool import NullPool

from shared.settings import Settings, get_settings

# asyncpg connections belong to the loop that opened them; Mangum and tests may run several.
_engines: dict[asyncio.AbstractEventLoop, _Loop] = {}


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


@dataclass(frozen=True, slots=True)
class _Loop:
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    # The same pool, but no transaction: each statement commits on its own (see session_scope).
    autocommit_sessions: async_sessionmaker[AsyncSession]
    # One per pooled connection; a session waits for its turn here, in order of arrival, before it
    # may take a connection. The pool's own wait (an asyncio.Queue) lets a newcomer take a connection
    # handed to a waiter, who then queues again at the back: under load some requests lost that race
    # over and over (read p99 100 ms instead of 20, bench/http_load.py). None for NullPool.
    turns: asyncio.Semaphore | None
    turn_timeout: float


def _for_loop() -> _Loop:
    loop = asyncio.get_running_loop()
    found = _engines.get(loop)
    if found is None:
        for old in [old for old in _engines if old.is_closed()]:
            del _engines[old]
        settings = get_settings()
        engine = create_engine(settings)
        found = _Loop(
            engine,
            async_sessionmaker(engine, expire_on_commit=False, autoflush=False),
            async_sessionmaker(
                engine.execution_options(isolation_level="AUTOCOMMIT"),
                expire_on_commit=False,
                autoflush=False,
            ),
            None
            if settings.db_pool == "null"
            else asyncio.Semaphore(settings.db_pool_size + settings.db_max_overflow),
            settings.db_pool_timeout,
        )
        _engines[loop] = found
    return found


def get_engine() -> AsyncEngine:
    """The engine of the running event loop."""
    return _for_loop().engine


@asynccontextmanager
async def session_scope(*, autocommit: bool = False) -> AsyncIterator[AsyncSession]:
    """A session; anything not committed by a service is rolled back on exit.

    `autocommit=True` opens no transaction: no BEGIN before the first statement and no ROLLBACK
    after the last, two round trips fewer, which is most of the database time of a short read.
    `now()` then changes between statements and a write commits at once, so use it only where that
    is what you want (the API's read operations, `Function.read_only`).

    Behind a transaction pooler (DB_STATEMENT_CACHE_SIZE=0, PgBouncer) the session keeps its
    transaction anyway: the asyncpg dialect prepares a statement and then executes it in two
    protocol exchanges, and only an open transaction keeps both on the same server connection.
    """
    loop = _for_loop()
    pooled = get_settings().db_statement_cache_size == 0
    async with (
        _turn(loop),
        (loop.autocommit_sessions if autocommit and not pooled else loop.sessions)() as session,
    ):
        yield session


@asynccontextmanager
async def _turn(loop: _Loop) -> AsyncIterator[None]:
    """Wait, first come first served, until a pooled connection is free for this session."""
    if loop.turns is None:
        yield
        return
    try:
        async with asyncio.timeout(loop.turn_timeout):
            await loop.turns.acquire()
    except TimeoutError:
        # What the pool itself raises when it waited too long: the API answers 503.
        raise sqlalchemy.exc.TimeoutError(
            f"no database connection free within {loop.turn_timeout:g} s (DB_POOL_TIMEOUT)"
        ) from None
    try:
        yield
    finally:
        loop.turns.release()


async def dispose_engine() -> None:
    """Close the running loop's pool (app shutdown, tests)."""
    found = _engines.pop(asyncio.get_running_loop(), None)
    if found is not None:
        await found.engine.dispose()
