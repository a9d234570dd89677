"""Engine and session factory, cached per process and event loop."""

from __future__ import annotations

import asyncio
import collections
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.pool import AsyncAdaptedQueuePool, NullPool
from sqlalchemy.util import await_
from sqlalchemy.util.queue import AsyncAdaptedQueue, Empty

from shared.settings import Settings, get_settings

# asyncpg connections belong to the loop that opened them; Mangum and tests may run several.
_engines: dict[asyncio.AbstractEventLoop, _Loop] = {}


def _unique_statement_name() -> str:
    return f"__asyncpg_{uuid.uuid4()}__"


class _FairQueue(AsyncAdaptedQueue[Any]):
    """The pool's idle connections, each returned one handed to whoever has waited longest.

    SQLAlchemy's queue gives an idle connection to any caller at once, even while others wait: a
    waiter woken for a returned connection could find it taken by a newcomer and queue again at the
    back. Under load some requests lost that race over and over (read p99 100 ms instead of 20 ms,
    bench/http_load.py).
    """

    def __init__(self, maxsize: int = 0, use_lifo: bool = False) -> None:
        super().__init__(maxsize, use_lifo)
        self._waiters: collections.deque[asyncio.Future[Any]] = collections.deque()

    def _someone_waits(self) -> bool:
        while self._waiters and self._waiters[0].done():  # timed out or cancelled
            self._waiters.popleft()
        return bool(self._waiters)

    def put_nowait(self, item: Any) -> None:
        if self._someone_waits():
            self._waiters.popleft().set_result(item)
        else:
            super().put_nowait(item)

    def put(self, item: Any, block: bool = True, timeout: float | None = None) -> None:
        self.put_nowait(item)  # the pool never holds more connections than it made room for

    def get(self, block: bool = True, timeout: float | None = None) -> Any:
        if not self._someone_waits():
            try:
                return self.get_nowait()
            except Empty:
                if not block:
                    raise
        elif not block:
            raise Empty()
        waiter: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            # wait_for returns a connection handed over even as the time runs out.
            return await_(asyncio.wait_for(waiter, timeout))
        except TimeoutError as error:
            raise Empty() from error


class _FairPool(AsyncAdaptedQueuePool):
    _queue_class = _FairQueue


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
        poolclass=_FairPool,
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
    # Behind a transaction pooler, the same as `sessions`.
    autocommit_sessions: async_sessionmaker[AsyncSession]


def _for_loop() -> _Loop:
    loop = asyncio.get_running_loop()
    found = _engines.get(loop)
    if found is None:
        for old in [old for old in _engines if old.is_closed()]:
            del _engines[old]
        settings = get_settings()
        engine = create_engine(settings)
        sessions = async_sessionmaker(engine, expire_on_commit=False, autoflush=False)
        # Behind a transaction pooler (see session_scope) autocommit sessions are ordinary ones.
        pooled = settings.db_statement_cache_size == 0
        autocommit = engine if pooled else engine.execution_options(isolation_level="AUTOCOMMIT")
        found = _Loop(
            engine, sessions, async_sessionmaker(autocommit, expire_on_commit=False, autoflush=False)
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
    async with (loop.autocommit_sessions if autocommit else loop.sessions)() as session:
        yield session


async def dispose_engine() -> None:
    """Close the running loop's pool (app shutdown, tests)."""
    found = _engines.pop(asyncio.get_running_loop(), None)
    if found is not None:
        await found.engine.dispose()
