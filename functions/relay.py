"""The WebSocket relay: household events from the outbox, live over one Redis subscription per process.

A browser connects to `/ws`, authenticates with its first message, gets what it missed from
PostgreSQL, then the live stream. The protocol is in docs/relay-protocol.md. Redis is only the fast
path: each connection tracks the last sequence number it sent per household, drops duplicates, and
backfills a gap from PostgreSQL before sending the event that revealed it.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import logging
import math
import signal
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from prometheus_client import Counter, Gauge, Histogram
from sqlalchemy import bindparam, select
from sqlalchemy.exc import SQLAlchemyError
from starlette.applications import Starlette
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

from shared import db
from shared.auth import Claims, check_token
from shared.errors import Unauthorized
from shared.http import ops_routes
from shared.models import Household, Membership, OutboxEvent, User
from shared.observability import configure_logging
from shared.settings import get_settings

log = logging.getLogger("chorus.relay")

AUTH_TIMEOUT = 5.0
PING_INTERVAL = 20.0
QUEUE_SIZE = 1000
SEND_TIMEOUT = 10.0  # a single send stuck this long means the client is gone or hopelessly slow
DRAIN_SECONDS = 3.0  # time given to clients to get `reconnect` and the close frame on shutdown
REPLAY_LIMIT = 5000  # more missed events than this: the client reloads over HTTP instead
MAX_MESSAGE = 16384
# A client sends a pong every 20 s and renews its token about hourly: more messages than this burst,
# or than this many a second after it, is a flood (each renewal costs a token check), closed 4429.
MESSAGE_BURST = 50
MESSAGE_RATE = 5.0
# The protocol layer refuses (1009) a message larger than this (all its fragments) before the relay
# reads it; up to it the relay answers 4400 with a reason. It bounds what a connection buffers.
MAX_FRAME = 4 * MAX_MESSAGE
# Every open connection holds ~160 objects the cyclic garbage collector tracks. A full collection
# walks them all: ~1 s at 10,000 connections, and while clients (re)connect Python runs one every
# second or two. So every HEAP_FREEZE_SECONDS the relay collects what is new since the last round,
# which walks only that, and freezes the survivors (gc.freeze): collections skip them from then on.
# A closed connection is freed by reference counting, frozen or not (WebSocketProtocol breaks the
# reference cycles it had). What else may end up as garbage in a cycle while frozen, the relay frees
# every RELAY_HEAP_THAW_SECONDS (10 minutes) by unfreezing for one full collection, a pause of ~1 s
# at 10,000 connections. tests/test_relay.py checks closed connections leave nothing behind.
HEAP_FREEZE_SECONDS = 1.0

CLOSE_UNAUTHORIZED = 4401
CLOSE_NO_ACCOUNT = 4403
CLOSE_SLOW = 4408
CLOSE_FLOOD = 4429
CLOSE_BAD_MESSAGE = 4400
CLOSE_RESTART = 1012
CLOSE_TRY_LATER = 1013

MEMBERSHIP_GONE = frozenset({"member.removed", "member.left"})

CONNECTIONS = Gauge("chorus_relay_connections", "Authenticated WebSocket connections")
DELIVERED = Counter("chorus_relay_events_delivered_total", "Events sent to clients")
BACKFILLS = Counter("chorus_relay_backfills_total", "Gaps in the live stream filled from PostgreSQL")
SLOW = Counter("chorus_relay_slow_disconnects_total", "Connections closed because their queue was full")
HEAP_OBJECTS = Gauge(
    "chorus_relay_heap_objects",
    "Objects the garbage collector tracks, counted at the last thaw (RELAY_HEAP_THAW_SECONDS)",
)
HEAP_THAW_FREED = Gauge(
    "chorus_relay_heap_thaw_freed_objects",
    "Objects the last thaw's full collection freed: garbage left in reference cycles while frozen",
)
HEAP_THAW_SECONDS = Gauge("chorus_relay_heap_thaw_seconds", "How long the last thaw held the event loop")
LAG = Histogram(
    "chorus_relay_delivery_lag_seconds",
    "Time from an event's commit to its sending (live and backfilled events)",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)


class Closing(Exception):
    """Close the connection with this code."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


# What the dispatcher puts on a connection's queue: a wire event, or CHECK after Redis came back.
CHECK: dict[str, Any] = {"check": True}


@dataclass(eq=False)
class Connection:
    websocket: WebSocket
    uid: str
    user_id: uuid.UUID
    expires_at: int
    households: set[uuid.UUID]
    last: dict[uuid.UUID, int] = field(default_factory=dict)
    # A household this user left or was removed from: events up to that seq may still go out.
    removed_at: dict[uuid.UUID, int] = field(default_factory=dict)
    queue: asyncio.Queue[dict[str, Any]] = field(default_factory=lambda: asyncio.Queue(QUEUE_SIZE))
    send_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    done: asyncio.Event = field(default_factory=asyncio.Event)
    closed: asyncio.Event = field(default_factory=asyncio.Event)
    close_code: int = 1000
    close_reason: str = ""

    def stop(self, code: int, reason: str) -> None:
        if not self.done.is_set():
            self.close_code, self.close_reason = code, reason
            self.done.set()

    def allowed(self, household: uuid.UUID, seq: int) -> bool:
        if household in self.households:
            return True
        removed = self.removed_at.get(household)
        return removed is not None and seq <= removed

    async def send(self, message: dict[str, Any] | str) -> None:
        """Send a message, or a frame already serialized (`_frame`)."""
        text = message if isinstance(message, str) else json.dumps(message, separators=(",", ":"))
        async with asyncio.timeout(SEND_TIMEOUT), self.send_lock:
            await self.websocket.send_text(text)


class Hub:
    """Every connection of this process, indexed by household and by user."""

    def __init__(self) -> None:
        self.by_household: dict[uuid.UUID, set[Connection]] = {}
        self.by_user: dict[uuid.UUID, set[Connection]] = {}
        self.draining = False

    def register(self, conn: Connection) -> None:
        self.by_user.setdefault(conn.user_id, set()).add(conn)
        for household in conn.households:
            self.by_household.setdefault(household, set()).add(conn)
        CONNECTIONS.inc()

    def unregister(self, conn: Connection) -> None:
        if conn not in self.by_user.get(conn.user_id, set()):
            return
        self._discard(self.by_user, conn.user_id, conn)
        for household in list(conn.households):
            self._discard(self.by_household, household, conn)
        CONNECTIONS.dec()

    @staticmethod
    def _discard(index: dict[uuid.UUID, set[Connection]], key: uuid.UUID, conn: Connection) -> None:
        found = index.get(key)
        if found is not None:
            found.discard(conn)
            if not found:
                del index[key]

    def leave(self, conn: Connection, household: uuid.UUID, seq: int) -> None:
        if household in conn.households:
            conn.households.discard(household)
            conn.removed_at[household] = seq
            self._discard(self.by_household, household, conn)

    def join(self, conn: Connection, household: uuid.UUID, seq: int) -> None:
        if household not in conn.households:
            conn.removed_at.pop(household, None)
            conn.households.add(household)
            # Nothing from before the join: the client loads the household over HTTP.
            conn.last[household] = max(conn.last.get(household, 0), seq - 1)
            if conn in self.by_user.get(conn.user_id, set()):
                self.by_household.setdefault(household, set()).add(conn)

    def dispatch(self, event: dict[str, Any]) -> None:
        """Route one event from Redis; never blocks."""
        household = uuid.UUID(event["household_id"])
        seq = int(event["seq"])
        targets = set(self.by_household.get(household, set()))
        if event["type"] == "household.deleted":
            # Everyone in it hears it once, then the household is gone from their connections.
            for conn in targets:
                self.leave(conn, household, seq)
        subject = _subject(event)
        if subject is not None:
            for conn in list(self.by_user.get(subject, set())):
                if event["type"] in MEMBERSHIP_GONE:
                    self.leave(conn, household, seq)
                elif event["type"] == "member.joined":
                    self.join(conn, household, seq)
                    targets.add(conn)
        for conn in targets:
            self.offer(conn, event)

    def offer(self, conn: Connection, item: dict[str, Any]) -> None:
        if conn.done.is_set():
            return
        try:
            conn.queue.put_nowait(item)
        except asyncio.QueueFull:
            SLOW.inc()
            log.warning("closing a slow consumer", extra={"uid": conn.uid})
            self.unregister(conn)
            conn.stop(CLOSE_SLOW, "slow consumer")

    def resync_all(self) -> None:
        """After Redis was away: every connection checks PostgreSQL for what it missed."""
        for conns in list(self.by_user.values()):
            for conn in list(conns):
                self.offer(conn, CHECK)

    def connections(self) -> list[Connection]:
        return [conn for conns in self.by_user.values() for conn in conns]


def _subject(event: dict[str, Any]) -> uuid.UUID | None:
    if event.get("type") not in (*MEMBERSHIP_GONE, "member.joined"):
        return None
    payload = event.get("payload")
    try:
        return uuid.UUID(str(payload.get("user_id"))) if isinstance(payload, dict) else None
    except ValueError:
        return None


def _wire(row: OutboxEvent) -> dict[str, Any]:
    """An events row as the Redis message that would carry it."""
    return {
        "household_id": str(row.household_id),
        "seq": row.seq,
        "type": row.type,
        "payload": row.payload,
        "audience": [str(user) for user in row.audience] if row.audience is not None else None,
        "created_at": row.created_at.isoformat(),
    }


def _visible(conn: Connection, event: dict[str, Any]) -> bool:
    audience = event.get("audience")
    return audience is None or str(conn.user_id) in audience


_FRAME = "_frame"  # key in an event dict: its serialized frame


def _frame(event: dict[str, Any]) -> str:
    """The event's frame, serialized once however many connections it goes to (the event dict from
    Redis or from a replay is shared by every connection's queue)."""
    frame = event.get(_FRAME)
    if frame is None:
        frame = event[_FRAME] = json.dumps(
            {
                "type": "event",
                "household_id": event["household_id"],
                "seq": event["seq"],
                "event": event["type"],
                "payload": event["payload"],
                "created_at": event["created_at"],
            },
            separators=(",", ":"),
        )
    return str(frame)


async def _events_between(household: uuid.UUID, after: int, upto: int) -> list[dict[str, Any]]:
    query = select(OutboxEvent).where(
        OutboxEvent.household_id == household, OutboxEvent.seq > after, OutboxEvent.seq <= upto
    )
    async with db.session_scope() as session:
        rows = await session.scalars(query.order_by(OutboxEvent.seq).limit(REPLAY_LIMIT + 1))
        return [_wire(row) for row in rows]


# Built once: a statement built per call with in_(…) left its parameter in a reference cycle, garbage
# that waited for a thaw when the heap was frozen mid-query (see HEAP_FREEZE_SECONDS).
_CURRENT_SEQS = select(Household.id, Household.event_seq).where(
    Household.id.in_(bindparam("households", expanding=True))
)


async def _current_seqs(households: set[uuid.UUID]) -> dict[uuid.UUID, int]:
    if not households:
        return {}
    async with db.session_scope() as session:
        rows = await session.execute(_CURRENT_SEQS, {"households": list(households)})
        return {household: int(seq) for household, seq in rows}


class Relay:
    def __init__(self) -> None:
        self.hub = Hub()
        self.settings = get_settings()

    # --- authentication -----------------------------------------------------------------------

    async def verify(self, token: Any) -> Claims:
        if not isinstance(token, str) or not token or len(token) > 8192:
            raise Closing(CLOSE_UNAUTHORIZED, "send a Firebase ID token")
        try:
            return await check_token(token, self.settings)
        except Unauthorized as error:
            raise Closing(CLOSE_UNAUTHORIZED, str(error.detail)[:120]) from None
        except Exception as error:  # keys could not be fetched: our outage
            log.warning("token verification failed: %s", error)
            raise Closing(CLOSE_TRY_LATER, "sign-in cannot be checked right now") from None

    async def receive(self, websocket: WebSocket) -> dict[str, Any]:
        frame = await websocket.receive()
        if frame["type"] == "websocket.disconnect":
            raise WebSocketDisconnect(frame.get("code", 1000))
        text = frame.get("text")
        if text is None:  # a binary frame
            raise Closing(CLOSE_BAD_MESSAGE, "messages are JSON text")
        if len(text.encode()) > MAX_MESSAGE:
            raise Closing(CLOSE_BAD_MESSAGE, "message too large")
        try:
            message = json.loads(text)
        except ValueError:
            raise Closing(CLOSE_BAD_MESSAGE, "messages are JSON objects") from None
        if not isinstance(message, dict):
            raise Closing(CLOSE_BAD_MESSAGE, "messages are JSON objects")
        return message

    async def authenticate(self, websocket: WebSocket) -> tuple[Connection, dict[uuid.UUID, int]]:
        try:
            async with asyncio.timeout(AUTH_TIMEOUT):
                message = await self.receive(websocket)
        except TimeoutError:
            raise Closing(CLOSE_UNAUTHORIZED, "authenticate within 5 seconds") from None
        except Closing as closing:
            raise Closing(CLOSE_UNAUTHORIZED, closing.reason) from None
        if message.get("type") != "auth":
            raise Closing(CLOSE_UNAUTHORIZED, "the first message must be auth")
        claims = await self.verify(message.get("token"))
        since: dict[uuid.UUID, int] = {}
        raw_since = message.get("since") or {}
        if isinstance(raw_since, dict):
            for key, value in raw_since.items():
                with contextlib.suppress(ValueError, AttributeError):
                    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
                        since[uuid.UUID(key)] = value
        try:
            async with db.session_scope() as session:
                user_id = await session.scalar(select(User.id).where(User.firebase_uid == claims.uid))
                if user_id is None:
                    raise Closing(CLOSE_NO_ACCOUNT, "no Chorus account: call GET /api/me first")
                mine = select(Membership.household_id).where(Membership.user_id == user_id)
                households = set(await session.scalars(mine))
        except (OSError, SQLAlchemyError) as error:
            # The database is down, or this process is out of file descriptors (too many
            # connections): the client backs off and tries again, perhaps on another replica.
            log.warning("sign-in could not read memberships: %s", error)
            raise Closing(CLOSE_TRY_LATER, "try again later") from None
        conn = Connection(websocket, claims.uid, user_id, claims.expires_at, households)
        return conn, since

    # --- one connection -----------------------------------------------------------------------

    async def endpoint(self, websocket: WebSocket) -> None:
        await websocket.accept()
        if self.hub.draining:
            await _close(websocket, CLOSE_RESTART, "restarting")
            return
        try:
            conn, since = await self.authenticate(websocket)
        except Closing as closing:
            await _close(websocket, closing.code, closing.reason)
            return
        except WebSocketDisconnect:
            return
        # Registered before the replay: live events queue up meanwhile and are de-duplicated.
        self.hub.register(conn)
        tasks: list[asyncio.Task[None]] = []
        try:
            await conn.send({"type": "ready", "households": sorted(str(h) for h in conn.households)})
            await self.replay(conn, since)
            tasks = [
                asyncio.create_task(self.worker(conn)),
                asyncio.create_task(self.reader(conn)),
                asyncio.create_task(self.heartbeat(conn)),
            ]
            await conn.done.wait()
        except Closing as closing:
            conn.stop(closing.code, closing.reason)
        except (WebSocketDisconnect, TimeoutError, RuntimeError, OSError):
            conn.stop(1000, "")
        finally:
            self.hub.unregister(conn)
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await _close(websocket, conn.close_code, conn.close_reason)
            conn.closed.set()

    async def replay(self, conn: Connection, since: dict[uuid.UUID, int]) -> None:
        current = await _current_seqs(conn.households)
        for household in sorted(conn.households):
            latest = current.get(household, 0)
            after = since.get(household, 0)
            if after <= 0 or after >= latest:
                if after > latest:  # the client knows of events that do not exist here
                    await conn.send({"type": "resync", "household_id": str(household)})
                conn.last[household] = latest
                continue
            conn.last[household] = after
            await self.catch_up(conn, household, upto=latest, live=False)

    async def catch_up(self, conn: Connection, household: uuid.UUID, *, upto: int, live: bool) -> None:
        """Send what PostgreSQL has after the connection's position, up to `upto`."""
        after = conn.last.get(household, 0)
        events = await _events_between(household, after, upto)
        if len(events) > REPLAY_LIMIT or (events and events[0]["seq"] != after + 1):
            # Too much, or pruned: the client reloads over HTTP and the stream goes on after `upto`
            # (not after the last event fetched: a capped fetch stops short of it).
            await conn.send({"type": "resync", "household_id": str(household)})
            conn.last[household] = max(conn.last.get(household, 0), upto)
            return
        for event in events:
            await self.deliver(conn, event, live=live)

    async def deliver(self, conn: Connection, event: dict[str, Any], *, live: bool) -> None:
        household = uuid.UUID(event["household_id"])
        seq = int(event["seq"])
        if not conn.allowed(household, seq):
            return
        last = conn.last.get(household, seq - 1)
        if seq <= last:
            return
        if live and seq > last + 1:
            BACKFILLS.inc()
            await self.catch_up(conn, household, upto=seq - 1, live=True)
            if not conn.allowed(household, seq) or seq <= conn.last.get(household, 0):
                return
        # Membership changes of this user found in a backfill or replay count too.
        if _subject(event) == conn.user_id:
            if event["type"] in MEMBERSHIP_GONE:
                self.hub.leave(conn, household, seq)
            elif event["type"] == "member.joined":
                self.hub.join(conn, household, seq)
        conn.last[household] = seq
        if not _visible(conn, event):
            return
        await conn.send(_frame(event))
        DELIVERED.inc()
        if live:
            with contextlib.suppress(ValueError, TypeError):
                created = datetime.fromisoformat(event["created_at"])
                LAG.observe(max(0.0, (datetime.now(UTC) - created).total_seconds()))

    async def worker(self, conn: Connection) -> None:
        try:
            while True:
                item = await conn.queue.get()
                if item is CHECK:
                    current = await _current_seqs(set(conn.households))
                    for household, latest in current.items():
                        if latest > conn.last.get(household, latest):
                            BACKFILLS.inc()
                            await self.catch_up(conn, household, upto=latest, live=True)
                    continue
                await self.deliver(conn, item, live=True)
        except (WebSocketDisconnect, TimeoutError, RuntimeError, OSError) as error:
            conn.stop(1000 if isinstance(error, WebSocketDisconnect) else 1011, "")
        except Exception:
            log.exception("relay worker failed", extra={"uid": conn.uid})
            conn.stop(1011, "internal error")

    async def reader(self, conn: Connection) -> None:
        allowance, last = float(MESSAGE_BURST), time.monotonic()
        try:
            while True:
                message = await self.receive(conn.websocket)
                now = time.monotonic()
                allowance = min(MESSAGE_BURST, allowance + (now - last) * MESSAGE_RATE) - 1
                last = now
                if allowance < 0:
                    raise Closing(CLOSE_FLOOD, "too many messages")
                kind = message.get("type")
                if kind == "pong":
                    continue
                if kind == "auth":
                    claims = await self.verify(message.get("token"))
                    if claims.uid != conn.uid:
                        raise Closing(CLOSE_UNAUTHORIZED, "a renewal must be for the same user")
                    conn.expires_at = claims.expires_at
                    await conn.send({"type": "renewed", "expires_at": claims.expires_at})
                    continue
                raise Closing(CLOSE_BAD_MESSAGE, f"unknown message type {kind!r}")
        except Closing as closing:
            conn.stop(closing.code, closing.reason)
        except (WebSocketDisconnect, RuntimeError, OSError, TimeoutError):
            conn.stop(1000, "")

    async def heartbeat(self, conn: Connection) -> None:
        next_ping = time.monotonic() + PING_INTERVAL
        try:
            while True:
                until_expiry = conn.expires_at - time.time()
                if until_expiry <= 0:
                    conn.stop(CLOSE_UNAUTHORIZED, "the ID token expired; reconnect with a fresh one")
                    return
                await asyncio.sleep(max(0.0, min(next_ping - time.monotonic(), until_expiry)))
                if time.monotonic() >= next_ping:
                    await conn.send({"type": "ping"})
                    next_ping = time.monotonic() + PING_INTERVAL
        except (WebSocketDisconnect, RuntimeError, OSError, TimeoutError):
            conn.stop(1000, "")

    # --- Redis and the process lifecycle ------------------------------------------------------

    async def subscribe(self, ready: asyncio.Event) -> None:
        import redis.asyncio as redis

        first = True
        while True:
            client = redis.from_url(self.settings.redis_url)
            pubsub = client.pubsub()
            try:
                await pubsub.psubscribe("household:*")
                ready.set()
                if not first:
                    self.hub.resync_all()
                first = False
                while True:
                    message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
                    if message is None or message.get("type") != "pmessage":
                        continue
                    try:
                        event = json.loads(message["data"])
                        self.hub.dispatch(event)
                    except (ValueError, KeyError, TypeError) as error:
                        log.warning("ignoring a malformed event: %s", error)
            except asyncio.CancelledError:
                raise
            except Exception as error:
                log.warning("redis subscription failed, retrying: %s", error)
                await asyncio.sleep(1)
            finally:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()  # type: ignore[no-untyped-call]
                    await client.aclose()

    async def drain(self) -> None:
        """Tell every client to reconnect elsewhere, and close them with 1012."""
        if self.hub.draining:
            return
        self.hub.draining = True
        conns = self.hub.connections()

        async def tell(conn: Connection) -> None:
            with contextlib.suppress(Exception):
                async with asyncio.timeout(DRAIN_SECONDS / 2):
                    await conn.send({"type": "reconnect"})
            conn.stop(CLOSE_RESTART, "restarting; reconnect")

        await asyncio.gather(*(tell(conn) for conn in conns))
        # Give the endpoints a moment to send their close frames.
        waits = [asyncio.create_task(conn.closed.wait()) for conn in conns]
        if waits:
            await asyncio.wait(waits, timeout=DRAIN_SECONDS / 2)
            for wait in waits:
                wait.cancel()

    async def tend_heap(self) -> None:
        """Freeze what survives each round; thaw and collect everything now and then (see
        HEAP_FREEZE_SECONDS). The first round thaws too: start-up froze its garbage with its modules
        (functions/cli.py)."""
        thawed = -math.inf
        while True:
            await asyncio.sleep(HEAP_FREEZE_SECONDS)
            if time.monotonic() - thawed < self.settings.relay_heap_thaw_seconds:
                gc.collect()
                gc.freeze()
                continue
            started = time.perf_counter()
            gc.unfreeze()
            freed = gc.collect()
            gc.freeze()
            HEAP_OBJECTS.set(gc.get_freeze_count())  # a walk of the heap (~0.2 s at 10,000 connections)
            HEAP_THAW_FREED.set(freed)
            HEAP_THAW_SECONDS.set(time.perf_counter() - started)
            thawed = time.monotonic()

    @asynccontextmanager
    async def lifespan(self, app: Starlette) -> AsyncIterator[None]:
        ready = asyncio.Event()
        subscriber = asyncio.create_task(self.subscribe(ready))
        freezer = asyncio.create_task(self.tend_heap())
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(5):
                await ready.wait()
        restore = self._hook_sigterm()
        try:
            yield
        finally:
            restore()
            await self.drain()
            subscriber.cancel()
            freezer.cancel()
            await asyncio.gather(subscriber, freezer, return_exceptions=True)
            await db.dispose_engine()

    def _hook_sigterm(self) -> Callable[[], None]:
        """Under uvicorn, SIGTERM closes sockets before the lifespan ends: drain first, then pass
        the signal on to uvicorn's handler."""
        if threading.current_thread() is not threading.main_thread():
            return lambda: None
        loop = asyncio.get_running_loop()
        previous = signal.getsignal(signal.SIGTERM)

        def pass_on(sig: int) -> None:
            if callable(previous):
                previous(sig, None)
            else:
                signal.raise_signal(sig)

        def on_signal(sig: int, frame: Any) -> None:
            signal.signal(signal.SIGTERM, previous)
            task = loop.create_task(self.drain())
            task.add_done_callback(lambda _: pass_on(sig))

        def schedule(sig: int, frame: Any) -> None:
            loop.call_soon_threadsafe(on_signal, sig, frame)

        signal.signal(signal.SIGTERM, schedule)

        def restore() -> None:
            if signal.getsignal(signal.SIGTERM) is schedule:
                signal.signal(signal.SIGTERM, previous)

        return restore


async def _close(websocket: WebSocket, code: int, reason: str) -> None:
    if websocket.application_state == WebSocketState.DISCONNECTED:
        return
    with contextlib.suppress(Exception):
        async with asyncio.timeout(2):
            await websocket.close(code, reason[:120])


class WebSocketProtocol(WebSocketsSansIOProtocol):
    """uvicorn's WebSocket protocol (websockets' Sans-I/O one), letting go of websockets' parser when
    the connection ends. The parser is a generator whose frame holds websockets' protocol, and the
    error that failed a connection (a message too big, a bad frame, a refused handshake) keeps the
    protocol's frames in its traceback: reference cycles that kept every closed connection, with what
    it had buffered, in memory until a full collection, or a thaw once frozen. `chorus relay`,
    `chorus web` and `chorus dev` serve with it."""

    def connection_lost(self, exc: Exception | None) -> None:
        try:
            super().connection_lost(exc)
        finally:  # nothing reads from the connection after this
            self.conn.parser.close()
            failures: tuple[BaseException | None, ...] = (self.conn.parser_exc, self.conn.handshake_exc)
            for error in failures:
                while error is not None:  # its traceback's frames hold the protocol
                    error.__traceback__ = None
                    error = error.__cause__ or error.__context__


def create_app() -> Starlette:
    """The relay app: `/ws` plus the ops routes."""
    configure_logging(get_settings().log_level)
    relay = Relay()
    app = Starlette(routes=[WebSocketRoute("/ws", relay.endpoint), *ops_routes()], lifespan=relay.lifespan)
    app.state.relay = relay
    return app
