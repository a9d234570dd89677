"""The outbox: events are written in the same transaction as the change, then published to Redis.

A service calls `record` for each event inside its transaction and `commit` instead of
`session.commit()`. `record` takes the household's next sequence number by incrementing
`households.event_seq`: the row lock this takes serialises a household's writers, so its stream is
gapless and in commit order. After the commit, the events go to Redis (`household:<id>`), the fast
path; if Redis is down they stay unpublished and `chorus job sweep` publishes them later.
Subscribers de-duplicate by (household, seq), so publishing twice is harmless.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event as sa_event
from sqlalchemy import select, text, tuple_, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from shared.models import Household, OutboxEvent
from shared.settings import get_settings

log = logging.getLogger("chorus.events")

_PENDING = "chorus_events"  # key in session.info: events recorded in the open transaction
# How long a request waits for Redis before leaving the event to the sweep job, and how long after
# a failure requests stop trying.
PUBLISH_TIMEOUT = 0.5
REDIS_COOLDOWN = 5.0
_down_until = 0.0
_clients: dict[asyncio.AbstractEventLoop, Any] = {}


def channel(household_id: uuid.UUID) -> str:
    return f"household:{household_id}"


async def record(
    session: AsyncSession,
    *,
    household_id: uuid.UUID,
    kind: str,
    payload: dict[str, Any],
    audience: Sequence[uuid.UUID] | None = None,
) -> int:
    """Write one event in the caller's transaction; returns its sequence number."""
    seq = await session.scalar(
        update(Household)
        .where(Household.id == household_id)
        .values(event_seq=Household.event_seq + 1)
        .returning(Household.event_seq)
    )
    if seq is None:
        raise LookupError(f"household {household_id} does not exist")
    audience = list(audience) if audience is not None else None
    created_at = (
        await session.execute(
            insert(OutboxEvent)
            .values(household_id=household_id, seq=seq, type=kind, payload=payload, audience=audience)
            .returning(OutboxEvent.created_at)
        )
    ).scalar_one()
    # The message is known now, so publishing after the commit need not read the row back.
    message = _wire(household_id, seq, kind, payload, audience, created_at)
    session.info.setdefault(_PENDING, []).append((household_id, seq, message))
    return int(seq)


_RECORD_MANY = text(
    """
    WITH incoming AS (
        SELECT * FROM unnest(CAST(:households AS uuid[]), CAST(:kinds AS text[]), CAST(:payloads AS jsonb[]))
            WITH ORDINALITY AS t(household_id, type, payload, n)
    ),
    counts AS (SELECT household_id, count(*) AS k FROM incoming GROUP BY household_id),
    bumped AS (
        UPDATE households h SET event_seq = h.event_seq + c.k FROM counts c WHERE h.id = c.household_id
        RETURNING h.id, h.event_seq - c.k AS base
    )
    INSERT INTO events (household_id, seq, type, payload)
    SELECT i.household_id, b.base + row_number() OVER (PARTITION BY i.household_id ORDER BY i.n),
           i.type, i.payload
    FROM incoming i JOIN bumped b ON b.id = i.household_id
    RETURNING household_id, seq
    """
)


async def record_many(session: AsyncSession, items: Sequence[tuple[uuid.UUID, str, dict[str, Any]]]) -> int:
    """Record many events (household, kind, payload) in one statement, numbered per household in
    the order given: for jobs, which must not issue a statement per row."""
    if not items:
        return 0
    # Lock the households in one order first: two jobs numbering overlapping households at the
    # same time then wait for each other instead of deadlocking.
    await session.execute(
        select(Household.id)
        .where(Household.id.in_({household for household, _, _ in items}))
        .order_by(Household.id)
        .with_for_update()
    )
    keys = list(
        await session.execute(
            _RECORD_MANY,
            {
                "households": [household for household, _, _ in items],
                "kinds": [kind for _, kind, _ in items],
                "payloads": [json.dumps(payload) for _, _, payload in items],
            },
        )
    )
    # Published after the commit by reading the rows back: a job's batch is not latency-bound.
    session.info.setdefault(_PENDING, []).extend((household, seq, None) for household, seq in keys)
    return len(keys)


async def commit(session: AsyncSession) -> None:
    """Commit, then publish what this transaction recorded (best effort; the sweep job retries)."""
    await session.commit()
    pending: list[tuple[uuid.UUID, int, str | None]] = session.info.pop(_PENDING, [])
    if not pending:
        return
    ready = [(household, seq, message) for household, seq, message in pending if message is not None]
    unread = [(household, seq) for household, seq, message in pending if message is None]
    if unread:
        ready += await _unpublished_messages(session, unread)
    await _send(session, sorted(ready, key=lambda item: (item[0], item[1])))


def discard(session: AsyncSession) -> None:
    """Forget events of a transaction that was rolled back."""
    session.info.pop(_PENDING, None)


@sa_event.listens_for(Session, "after_rollback")
def _forget_rolled_back(session: Session) -> None:
    # Requests publish the message they built while recording (see `commit`), so an event of a
    # transaction that was rolled back must not stay pending, even where a service forgot `discard`.
    session.info.pop(_PENDING, None)


def wire(event: OutboxEvent) -> str:
    """The JSON a subscriber receives."""
    return _wire(event.household_id, event.seq, event.type, event.payload, event.audience, event.created_at)


def _wire(
    household_id: uuid.UUID,
    seq: int,
    kind: str,
    payload: dict[str, Any],
    audience: Sequence[uuid.UUID] | None,
    created_at: datetime,
) -> str:
    return json.dumps(
        {
            "household_id": str(household_id),
            "seq": seq,
            "type": kind,
            "payload": payload,
            "audience": [str(user) for user in audience] if audience is not None else None,
            "created_at": created_at.isoformat(),
        },
        separators=(",", ":"),
    )


async def publish(session: AsyncSession, keys: Sequence[tuple[uuid.UUID, int]]) -> int:
    """Publish these events to Redis and mark them published; returns how many went out."""
    if not keys:
        return 0
    return await _send(session, await _unpublished_messages(session, keys))


async def _unpublished_messages(
    session: AsyncSession, keys: Sequence[tuple[uuid.UUID, int]]
) -> list[tuple[uuid.UUID, int, str]]:
    """(household, seq, message) of those events not published yet, in stream order."""
    rows = await session.scalars(
        select(OutboxEvent)
        .where(OutboxEvent.published_at.is_(None), _keys_clause(keys))
        .order_by(OutboxEvent.household_id, OutboxEvent.seq)
    )
    return [(row.household_id, row.seq, wire(row)) for row in rows]


async def publish_deletion(household_id: uuid.UUID, seq: int) -> None:
    """Tell subscribers a household is gone. Its outbox rows went with it (cascade), so this is
    published directly, best effort: a client that misses it finds the household gone on reconnect."""
    message = json.dumps(
        {
            "household_id": str(household_id),
            "seq": seq,
            "type": "household.deleted",
            "payload": {},
            "audience": None,
            "created_at": datetime.now(UTC).isoformat(),
        },
        separators=(",", ":"),
    )
    try:
        async with asyncio.timeout(PUBLISH_TIMEOUT):
            await _redis().publish(channel(household_id), message)
    except Exception as error:
        log.warning("publishing household.deleted failed: %s", error)


async def unpublished(session: AsyncSession, *, before: datetime, limit: int) -> list[OutboxEvent]:
    """Events still unpublished that were written before `before`, oldest first."""
    rows = await session.scalars(
        select(OutboxEvent)
        .where(OutboxEvent.published_at.is_(None), OutboxEvent.created_at < before)
        .order_by(OutboxEvent.created_at, OutboxEvent.household_id, OutboxEvent.seq)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list(rows)


def _keys_clause(keys: Sequence[tuple[uuid.UUID, int]]) -> Any:
    return tuple_(OutboxEvent.household_id, OutboxEvent.seq).in_(list(keys))


async def _send(session: AsyncSession, events: Sequence[tuple[uuid.UUID, int, str]]) -> int:
    """Publish (household, seq, message) in the order given, then mark them published."""
    global _down_until
    if not events:
        return 0
    messages = [(channel(household), message) for household, _, message in events]
    keys = [(household, seq) for household, seq, _ in events]
    # No transaction, and so no pooled connection, is held while Redis is asked.
    await session.commit()
    if time.monotonic() < _down_until:
        return 0  # Redis failed a moment ago: do not make every write wait for it again
    try:
        async with asyncio.timeout(PUBLISH_TIMEOUT * max(1, len(messages) // 100)):
            async with _redis().pipeline(transaction=False) as pipe:
                for name, message in messages:
                    pipe.publish(name, message)
                await pipe.execute()
    except Exception as error:  # Redis down or slow: the sweep job will publish them
        _down_until = time.monotonic() + REDIS_COOLDOWN
        log.warning("publishing %d events failed: %s", len(messages), error)
        return 0
    try:
        # In a session of its own: rolling back the caller's after a failure would expire the objects
        # it still reads (to build its response), and an expired attribute cannot load under asyncio.
        async with AsyncSession(session.bind) as marker:
            await marker.execute(
                update(OutboxEvent).where(_keys_clause(keys)).values(published_at=datetime.now(UTC))
            )
            await marker.commit()
    except Exception as error:  # the change itself is committed; the sweep publishes again
        log.warning("marking %d events published failed: %s", len(keys), error)
    return len(messages)


def _redis() -> Any:
    loop = asyncio.get_running_loop()
    client = _clients.get(loop)
    if client is None:
        import redis.asyncio as redis

        for old in [old for old in _clients if old.is_closed()]:
            del _clients[old]
        client = redis.from_url(
            get_settings().redis_url, socket_timeout=PUBLISH_TIMEOUT, socket_connect_timeout=PUBLISH_TIMEOUT
        )
        _clients[loop] = client
    return client


async def close() -> None:
    """Close the running loop's Redis client (app shutdown, tests)."""
    client = _clients.pop(asyncio.get_running_loop(), None)
    if client is not None:
        await client.aclose()
