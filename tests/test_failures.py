"""Functions under failure: a PostgreSQL restart mid-stream, and a burst against a tiny pool.

These run against a PostgreSQL of their own (pgserver in a temporary directory), so restarting it
leaves the session's database alone; Redis and the auth emulator are the session's. Real `chorus`
processes (gateway, one function, the relay) are pointed at it with DATABASE_URL.

1. PostgreSQL stops (fast shutdown) and starts again under a steady stream of renames: 503 with
   Retry-After meanwhile, recovery without a restart, every committed event delivered once, in order.
2. The two failures that restart turned into 500s, each provoked on purpose: a session ended by
   the server mid-request, and marking published events failing after the commit.
3. 200 concurrent requests on one function with a pool of 2: only 200s and 503s, and afterwards
   nothing in flight, no session beyond the pool, every session idle, requests served again.
"""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from pgserver._commands import POSTGRES_BIN_PATH  # imported first by tests.plugin, which quiets it
from pgserver.postgres_server import PostgresServer, get_server
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from tests.plugin import FirebaseUser, MakeUser, ServedFunction, ServedProcess, _start, _stop
from tests.test_relay_failures import Reader, _ws, run_readers
from tests.utils import assert_problem, create_household, wait_until

pytestmark = pytest.mark.timeout(60)

DATABASE = "postgres"


class OwnPostgres:
    """A PostgreSQL of this module's own, which a test may stop and start again on the same socket."""

    def __init__(self, pgdata: Path) -> None:
        self.pgdata = pgdata
        self.server: PostgresServer = get_server(pgdata, cleanup_mode="stop")
        socket_dir = self.server.get_postmaster_info().socket_dir
        assert socket_dir is not None, "pgserver reported no socket directory"
        self.socket_dir = Path(socket_dir)

    def url(self, user: str = "postgres") -> str:
        return f"postgresql+asyncpg://{user}@/{DATABASE}?host={self.socket_dir}"

    def _pg_ctl(self, args: list[str]) -> None:
        # Output to a file: a pipe would be inherited by the server that `start` leaves running.
        with (self.pgdata.parent / "pg_ctl.log").open("ab") as log:
            subprocess.run(
                [str(POSTGRES_BIN_PATH / "pg_ctl"), "-D", str(self.pgdata), *args],
                user=self.server.system_user,
                stdout=log,
                stderr=subprocess.STDOUT,
                check=True,
                timeout=30,
            )

    def stop(self) -> None:
        """A fast shutdown: sessions are ended, open transactions rolled back (a restart or failover)."""
        self._pg_ctl(["-w", "-m", "fast", "stop"])

    def start(self) -> None:
        """Start it again exactly as pgserver did: the same socket, no TCP."""
        self._pg_ctl(
            ["-w", "-o", '-h ""', "-o", f"-k {self.socket_dir}", "-l", str(self.pgdata / "log"), "start"]
        )

    def running(self) -> bool:
        return (self.pgdata / "postmaster.pid").exists()

    def close(self) -> None:
        if self.running():
            self.stop()
        self.server.cleanup()  # forgets this process's handle (the server it knew is gone already)

    async def connect(self) -> asyncpg.Connection:
        return await asyncpg.connect(host=str(self.socket_dir), user="postgres", database=DATABASE, timeout=5)

    async def fetch(self, query: str, *args: Any) -> list[asyncpg.Record]:
        connection = await self.connect()
        try:
            return list(await connection.fetch(query, *args))
        finally:
            await connection.close()


@pytest.fixture(scope="module")
def own_pg(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OwnPostgres]:
    from alembic import command

    from functions.cli import alembic_config

    pg = OwnPostgres(tmp_path_factory.mktemp("own-pg") / "pgdata")
    try:
        config = alembic_config(pg.url())
        config.attributes["configure_logging"] = False
        command.upgrade(config, "head")
        yield pg
    finally:
        pg.close()


@pytest.fixture(scope="module")
def own_gateway(own_pg: OwnPostgres, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedProcess]:
    """`chorus gateway` on the module's PostgreSQL: creates the users and households the tests use."""
    served = _start(["gateway"], tmp_path_factory.mktemp("own-gateway"), {"DATABASE_URL": own_pg.url()})
    yield served
    _stop(served)


@pytest.fixture
async def own_http(own_gateway: ServedProcess) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=own_gateway.url, timeout=10) as http:
        # After a restart of the database, the first use of each pooled connection from before it
        # fails (with a 503): /readyz uses one up, so the tests start from a working pool.
        deadline = time.monotonic() + 10
        while (await http.get("/readyz")).status_code != 200:
            assert time.monotonic() < deadline, "the gateway never became ready"
            await asyncio.sleep(0.1)
        yield http


async def seqs_of(pg: OwnPostgres, households: list[str]) -> dict[str, int]:
    rows = await pg.fetch(
        "SELECT id, event_seq FROM households WHERE id = ANY($1::uuid[])", [uuid.UUID(h) for h in households]
    )
    return {str(row["id"]): int(row["event_seq"]) for row in rows}


async def events_of(pg: OwnPostgres, household: str, after: int) -> list[tuple[int, str, Any]]:
    rows = await pg.fetch(
        "SELECT seq, type, payload FROM events WHERE household_id = $1 AND seq > $2 ORDER BY seq",
        uuid.UUID(household),
        after,
    )
    return [(int(row["seq"]), str(row["type"]), json.loads(row["payload"])) for row in rows]


# --- 1. PostgreSQL restarts during a steady stream of mutations -----------------------------------


@dataclass
class Attempt:
    """One rename: what was asked, when, and what came back (status None: no answer at all)."""

    household: str
    name: str
    started: float
    ended: float
    status: int | None
    response: httpx.Response | None
    error: str = ""


async def attempt(http: httpx.AsyncClient, user: FirebaseUser, household: str, name: str) -> Attempt:
    started = time.monotonic()
    try:
        response = await http.patch(
            f"/api/households/{household}", headers=user.headers(), json={"name": name}
        )
    except httpx.HTTPError as error:
        return Attempt(household, name, started, time.monotonic(), None, None, repr(error))
    return Attempt(household, name, started, time.monotonic(), response.status_code, response)


async def test_functions_answer_503_while_postgres_restarts_and_lose_no_event(
    own_pg: OwnPostgres, own_http: httpx.AsyncClient, make_user: MakeUser, tmp_path: Path
) -> None:
    owner = make_user("owner")
    households = [(await create_household(own_http, owner, name=f"Home {n}"))["id"] for n in range(3)]
    env = {"DATABASE_URL": own_pg.url()}
    started: list[ServedProcess] = []
    try:
        started.append(_start(["relay"], tmp_path, env))
        started.append(_start(["serve", "households.update_household"], tmp_path, env))
        relay, function = started
        base = await seqs_of(own_pg, households)
        reader = Reader(owner, lambda: _ws(relay), dict(base))
        attempts: list[Attempt] = []
        marks: dict[str, float] = {}
        running = True

        async def produce(worker: int, http: httpx.AsyncClient) -> None:
            n = 0
            while running:
                household = households[(worker + n) % len(households)]
                done = await attempt(http, owner, household, f"W{worker}-{n}")
                attempts.append(done)
                n += 1
                await asyncio.sleep(0.005 if done.status == 200 else 0.05)

        def ok_since(mark: str) -> int:
            return sum(1 for a in attempts if a.status == 200 and a.started > marks[mark])

        async def body() -> None:
            nonlocal running
            await wait_until(lambda: bool(reader.readies), 10, "the reader to be ready")
            async with httpx.AsyncClient(base_url=function.url, timeout=20) as http:
                marks["begin"] = time.monotonic()
                workers = [asyncio.create_task(produce(w, http)) for w in range(4)]
                try:
                    await wait_until(lambda: ok_since("begin") >= 60, 15, "renames before the restart")
                    marks["stop"] = time.monotonic()
                    await asyncio.to_thread(own_pg.stop)
                    marks["stopped"] = time.monotonic()
                    await asyncio.sleep(1.5)  # the outage
                    marks["start"] = time.monotonic()
                    await asyncio.to_thread(own_pg.start)
                    marks["started"] = time.monotonic()
                    await wait_until(lambda: ok_since("started") >= 60, 15, "renames after the restart")
                finally:
                    running = False
                    await asyncio.gather(*workers)
            latest = await seqs_of(own_pg, households)
            await reader.wait_for(latest, 20)

        await run_readers([reader], body)

        # Every answer was a success or a 503 problem with Retry-After, and none took long.
        assert {a.status for a in attempts} <= {200, 503}, [
            (a.status, a.error or (a.response.text[:200] if a.response else ""))
            for a in attempts
            if a.status != 200
        ]
        slowest = max(a.ended - a.started for a in attempts)
        assert slowest < 5, f"a request took {slowest:.1f} s"
        for failed in (a for a in attempts if a.status == 503):
            assert failed.response is not None
            assert_problem(failed.response, 503, "database-unavailable")
            assert re.fullmatch(r"\d+", failed.response.headers.get("retry-after", "")), (
                failed.response.headers
            )

        # While PostgreSQL was down, every request got a 503, and there were plenty.
        down = [a for a in attempts if a.started > marks["stopped"] and a.ended < marks["start"]]
        assert len(down) >= 10, f"only {len(down)} requests while the database was down"
        assert all(a.status == 503 for a in down)
        # After it came back, the same function process recovered by itself, within a bound.
        assert function.process.poll() is None
        assert relay.process.poll() is None
        after = sorted((a for a in attempts if a.started > marks["started"]), key=lambda a: a.started)
        first_ok = next(a for a in after if a.status == 200)
        assert first_ok.started - marks["started"] < 5, "no success within 5 s of the restart"
        late_failures = [a for a in after if a.started > first_ok.ended and a.status != 200]
        assert not late_failures, f"{len(late_failures)} failures after the first success"

        # The stored events are exactly the renames that succeeded, once each, plus possibly some
        # in flight when the database went down (committed, but the answer was lost: a 503).
        in_flight = {a.name for a in attempts if a.started < marks["stopped"] and a.ended > marks["stop"]}
        succeeded = [a.name for a in attempts if a.status == 200]
        stored: dict[str, list[tuple[int, str, Any]]] = {}
        for household in households:
            stored[household] = await events_of(own_pg, household, base[household])
        names = [payload["name"] for events in stored.values() for _, _, payload in events]
        assert len(names) == len(set(names)), "a rename produced two events"
        assert set(succeeded) <= set(names), "a rename answered 200 has no event"
        extra = set(names) - set(succeeded)
        assert extra <= in_flight, f"events of renames that failed outright: {sorted(extra - in_flight)[:5]}"

        # The relay client saw every stored event exactly once, in order.
        for household in households:
            got = [(m["seq"], m["event"], m["payload"]) for m in reader.received.get(household, [])]
            want = stored[household]
            assert [seq for seq, _, _ in got] == list(
                range(base[household] + 1, base[household] + 1 + len(want))
            )
            assert got == want
        assert not reader.resyncs
    finally:
        for served in started:
            _stop(served)
        if not own_pg.running():
            own_pg.start()


# --- 2. the two ways a restart used to end in a 500, each made to happen on purpose ----------------


async def test_a_session_killed_mid_request_answers_503_and_the_next_request_succeeds(
    own_pg: OwnPostgres, own_http: httpx.AsyncClient, make_user: MakeUser
) -> None:
    """The server ends the request's session (a restart, a failover, pg_terminate_backend) while the
    request waits on a row lock: asyncpg's error reaches SQLAlchemy as a plain DBAPIError."""
    owner = make_user("owner")
    household = (await create_household(own_http, owner))["id"]
    locker = await own_pg.connect()
    try:
        async with locker.transaction():
            await locker.execute("SELECT 1 FROM households WHERE id = $1 FOR UPDATE", uuid.UUID(household))
            rename = asyncio.create_task(
                own_http.patch(
                    f"/api/households/{household}", headers=owner.headers(), json={"name": "Killed"}
                )
            )
            for _ in range(200):
                waiting = await locker.fetch(
                    "SELECT pid FROM pg_stat_activity"
                    " WHERE wait_event_type = 'Lock' AND application_name = 'chorus'"
                )
                if waiting:
                    break
                await asyncio.sleep(0.025)
            assert len(waiting) == 1, "the rename never waited for the lock"
            assert await locker.fetchval("SELECT pg_terminate_backend($1)", waiting[0]["pid"])
            response = await asyncio.wait_for(rename, 10)
    finally:
        await locker.close()
    assert_problem(response, 503, "database-unavailable")
    assert response.headers["retry-after"].isdigit()
    again = await own_http.patch(
        f"/api/households/{household}", headers=owner.headers(), json={"name": "Alive"}
    )
    assert again.status_code == 200, again.text
    assert again.json()["name"] == "Alive"
    names = [payload["name"] for _, _, payload in await events_of(own_pg, household, 0)]
    assert "Killed" not in names
    assert names.count("Alive") == 1


async def test_a_change_whose_events_cannot_be_marked_published_still_answers_200(
    own_pg: OwnPostgres, own_http: httpx.AsyncClient, own_gateway: ServedProcess, make_user: MakeUser
) -> None:
    """The change and its event are committed and published; only marking them published fails (the
    database went away just then). That is the sweep's job to finish, not a failed request."""
    owner = make_user("owner")
    household = (await create_household(own_http, owner))["id"]
    trigger = f"refuse_marking_{uuid.uuid4().hex[:8]}"
    connection = await own_pg.connect()
    try:
        await connection.execute(
            f"""
            CREATE FUNCTION {trigger}() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF NEW.household_id = '{household}' AND NEW.published_at IS NOT NULL THEN
                    RAISE EXCEPTION 'marking refused by the test';
                END IF;
                RETURN NEW;
            END $$;
            CREATE TRIGGER {trigger} BEFORE UPDATE ON events FOR EACH ROW EXECUTE FUNCTION {trigger}();
            """
        )
        response = await own_http.patch(
            f"/api/households/{household}", headers=owner.headers(), json={"name": "Renamed"}
        )
        assert response.status_code == 200, response.text
        assert response.json()["name"] == "Renamed"
        rows = await connection.fetch(
            "SELECT type, published_at FROM events WHERE household_id = $1 ORDER BY seq", uuid.UUID(household)
        )
        assert [(row["type"], row["published_at"]) for row in rows][-1] == ("household.updated", None)
        # It was published (Redis is up) and marking it is what failed: the path under test ran.
        assert "marking 1 events published failed" in own_gateway.log.read_text()
    finally:
        await connection.execute(
            f"DROP TRIGGER IF EXISTS {trigger} ON events; DROP FUNCTION IF EXISTS {trigger}()"
        )
        await connection.close()


# --- 3. a burst of 200 concurrent requests against one function with a pool of 2 -------------------

BURST_ROLE = "chorus_burst"  # the function logs in as this role: its sessions are easy to count
SESSIONS = "SELECT state FROM pg_stat_activity WHERE usename = $1"


def in_flight(metrics: str, function: str) -> float:
    found = re.search(rf'^chorus_http_requests_in_flight\{{function="{function}"\}} (\S+)$', metrics, re.M)
    assert found, "no in-flight gauge for the function"
    return float(found.group(1))


def check_answer(response: httpx.Response) -> None:
    """A success, or a 503 problem with Retry-After (no pooled connection in time): nothing else."""
    if response.status_code == 503:
        assert_problem(response, 503, "database-unavailable")
        assert response.headers["retry-after"].isdigit()
    else:
        assert response.status_code == 200, response.text


async def test_a_burst_of_200_requests_on_a_pool_of_2_gets_no_500_and_leaves_the_pool_idle(
    own_pg: OwnPostgres, own_http: httpx.AsyncClient, make_user: MakeUser, serve_function: ServedFunction
) -> None:
    if not await own_pg.fetch("SELECT 1 FROM pg_roles WHERE rolname = $1", BURST_ROLE):
        await own_pg.fetch(f"CREATE ROLE {BURST_ROLE} LOGIN SUPERUSER")
    owner = make_user("owner")
    households = [(await create_household(own_http, owner, name=f"Home {n}"))["id"] for n in range(4)]
    function = serve_function(
        "households.update_household",
        env={
            "DATABASE_URL": own_pg.url(BURST_ROLE),
            "DB_POOL_SIZE": "2",
            "DB_MAX_OVERFLOW": "0",
            "DB_POOL_TIMEOUT": "0.5",
            # Requests wait for the test's row lock below; the statement timeout must not end them.
            "DB_STATEMENT_TIMEOUT_MS": "30000",
        },
    )
    observer = await own_pg.connect()
    seen: list[int] = []  # how many sessions the function had, sampled all along
    completed = [0]

    async def watch() -> None:
        while True:
            seen.append(len(await observer.fetch(SESSIONS, BURST_ROLE)))
            await asyncio.sleep(0.05)

    async def rename(http: httpx.AsyncClient, household: str, name: str) -> httpx.Response:
        try:
            return await http.patch(
                f"/api/households/{household}", headers=owner.headers(), json={"name": name}
            )
        finally:
            completed[0] += 1

    def client() -> httpx.AsyncClient:
        # A client per phase: a keep-alive connection idle for uvicorn's 5 s may be closed by the
        # server just as the client reuses it, which is no failure of the function.
        limits = httpx.Limits(max_connections=200, max_keepalive_connections=200)
        return httpx.AsyncClient(base_url=function.url, timeout=20, limits=limits)

    async def burst(targets: list[str], tag: str) -> list[int]:
        started = time.monotonic()
        async with client() as http:
            responses = await asyncio.gather(
                *(rename(http, targets[n % len(targets)], f"{tag} {n}") for n in range(200))
            )
        assert time.monotonic() - started < 25, "the burst took too long"
        for response in responses:
            check_answer(response)
        return [response.status_code for response in responses]

    watcher = asyncio.create_task(watch())
    try:
        # 1. 200 at once over four households: they queue for the two connections.
        first = await burst(households, "Burst")
        assert first.count(200) >= 2
        # 2. 200 at once while another session holds one household's row: the two requests that got
        # a connection wait for the lock, every other one gives up on the pool after 0.5 s.
        locker = await own_pg.connect()
        try:
            async with locker.transaction():
                await locker.execute(
                    "SELECT 1 FROM households WHERE id = $1 FOR UPDATE", uuid.UUID(households[0])
                )
                completed[0] = 0
                blocked = asyncio.create_task(burst(households[:1], "Blocked"))
                await wait_until(lambda: completed[0] >= 198, 15, "every request but two to be answered")
        finally:
            await locker.close()
        second = await blocked
        assert second.count(200) == 2, second
        assert second.count(503) == 198, second

        # Never more sessions than the pool's two; afterwards nothing in flight, nothing leaked.
        assert max(seen) <= 2, seen
        deadline = time.monotonic() + 5
        while True:
            states = [row["state"] for row in await observer.fetch(SESSIONS, BURST_ROLE)]
            if 0 < len(states) <= 2 and set(states) == {"idle"}:
                break
            assert time.monotonic() < deadline, f"the function's sessions never became idle: {states}"
            await asyncio.sleep(0.05)
        async with client() as http:
            assert in_flight((await http.get("/metrics")).text, "update_household") == 0
            assert (await http.get("/readyz")).status_code == 200
            for n in range(10):
                response = await rename(http, households[n % 4], f"After {n}")
                assert response.status_code == 200, response.text
            pair = await asyncio.gather(*(rename(http, household, "Pair") for household in households[:2]))
            assert [response.status_code for response in pair] == [200, 200]
    finally:
        watcher.cancel()
        await asyncio.gather(watcher, return_exceptions=True)
        await observer.close()


async def test_relay_sign_in_while_postgres_is_down_closes_1013_then_works(
    own_pg: OwnPostgres, own_http: httpx.AsyncClient, make_user: MakeUser, tmp_path: Path
) -> None:
    user = make_user("relay-sign-in")
    assert (await own_http.get("/api/me", headers=user.headers())).status_code == 200
    relay = _start(["relay"], tmp_path, {"DATABASE_URL": own_pg.url()})
    try:
        await asyncio.to_thread(own_pg.stop)
        try:
            async with connect(_ws(relay)) as socket:
                await socket.send(json.dumps({"type": "auth", "token": user.id_token}))
                with pytest.raises(ConnectionClosed) as closed:
                    await asyncio.wait_for(socket.recv(), 10)
            assert closed.value.rcvd is not None
            assert closed.value.rcvd.code == 1013, closed.value.rcvd
        finally:
            await asyncio.to_thread(own_pg.start)
        # Back: the same relay process signs the user in (a pooled connection from before the
        # restart may fail once; the client's backoff retries).
        deadline = time.monotonic() + 10
        while True:
            async with connect(_ws(relay)) as socket:
                await socket.send(json.dumps({"type": "auth", "token": user.id_token}))
                try:
                    ready = json.loads(await asyncio.wait_for(socket.recv(), 10))
                    break
                except ConnectionClosed:
                    assert time.monotonic() < deadline, "the relay never signed the user in again"
                    await asyncio.sleep(0.2)
        assert ready == {"type": "ready", "households": []}
    finally:
        _stop(relay)
