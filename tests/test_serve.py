"""`chorus serve <function>`: one operation on $PORT, ops routes, 404 elsewhere, graceful SIGTERM."""

from __future__ import annotations

import asyncio
import os
import signal
import time

import httpx
from sqlalchemy import text

from shared.db import session_scope
from tests.plugin import MakeUser, ServedFunction
from tests.utils import assert_problem, create_household, wait_for_lock_waiters


async def test_serve_one_function_and_its_ops_routes(
    client: httpx.AsyncClient, make_user: MakeUser, serve_function: ServedFunction
) -> None:
    owner = make_user()
    household = await create_household(client, owner, name="Served")
    served = serve_function("households.update_household")
    async with httpx.AsyncClient(base_url=served.url, timeout=10) as http:
        assert (await http.get("/healthz")).status_code == 200
        assert (await http.get("/readyz")).json() == {"status": "ready"}
        response = await http.patch(
            f"/api/households/{household['id']}", headers=owner.headers(), json={"name": "Renamed"}
        )
        assert response.status_code == 200, response.text
        assert response.json()["name"] == "Renamed"
        metrics = (await http.get("/metrics")).text
        assert (
            'chorus_http_requests_total{function="update_household",method="PATCH",status="200"} 1.0'
            in metrics
        )
        # Only its own operation: every other path and method is a problem+json 404 / 405.
        assert_problem(await http.get(f"/api/households/{household['id']}", headers=owner.headers()), 405)
        assert_problem(await http.get("/api/households", headers=owner.headers()), 404)
        assert_problem(await http.get("/api/me", headers=owner.headers()), 404)
        assert_problem(await http.get("/openapi.json"), 404)


async def test_serve_sigterm_lets_in_flight_request_finish(
    client: httpx.AsyncClient, make_user: MakeUser, serve_function: ServedFunction
) -> None:
    owner = make_user()
    household = await create_household(client, owner, name="Before")
    served = serve_function("households.update_household")
    async with session_scope() as blocker, httpx.AsyncClient(base_url=served.url, timeout=30) as http:
        # Hold the household row, so the PATCH below waits inside the function.
        await blocker.execute(
            text("SELECT id FROM households WHERE id = :id FOR UPDATE"), {"id": household["id"]}
        )
        slow = asyncio.create_task(
            http.patch(f"/api/households/{household['id']}", headers=owner.headers(), json={"name": "After"})
        )
        await wait_for_lock_waiters()
        os.kill(served.process.pid, signal.SIGTERM)
        await asyncio.sleep(1.0)
        assert served.process.poll() is None, "the server quit with a request in flight"
        await blocker.rollback()
        response = await slow
    assert response.status_code == 200, response.text
    assert response.json()["name"] == "After"
    started = time.monotonic()
    code = await asyncio.to_thread(served.process.wait, 10)
    # Uvicorn re-raises the SIGTERM after its graceful shutdown, so "killed by SIGTERM" is clean.
    assert code in (0, -signal.SIGTERM)
    assert time.monotonic() - started < 10


async def test_serve_answers_503_while_database_is_down(
    make_user: MakeUser, serve_function: ServedFunction
) -> None:
    user = make_user()
    served = serve_function(
        "me.get_me", env={"DATABASE_URL": "postgresql+asyncpg://chorus:x@127.0.0.1:9/chorus"}
    )
    async with httpx.AsyncClient(base_url=served.url, timeout=10) as http:
        assert (await http.get("/healthz")).status_code == 200
        not_ready = await http.get("/readyz")
        assert_problem(not_ready, 503, "not-ready")
        response = await http.get("/api/me", headers=user.headers())
        assert_problem(response, 503, "database-unavailable")
        assert response.headers["retry-after"].isdigit()


async def test_serve_statement_timeout_is_503_and_changes_nothing(
    client: httpx.AsyncClient, make_user: MakeUser, serve_function: ServedFunction
) -> None:
    owner = make_user()
    household = await create_household(client, owner, name="Locked")
    served = serve_function("households.update_household", env={"DB_STATEMENT_TIMEOUT_MS": "300"})
    async with session_scope() as blocker, httpx.AsyncClient(base_url=served.url, timeout=30) as http:
        await blocker.execute(
            text("SELECT id FROM households WHERE id = :id FOR UPDATE"), {"id": household["id"]}
        )
        # The PATCH waits for the row longer than its statement_timeout: PostgreSQL cancels it.
        response = await http.patch(
            f"/api/households/{household['id']}", headers=owner.headers(), json={"name": "Changed"}
        )
        await blocker.rollback()
        assert_problem(response, 503)
        assert int(response.headers["retry-after"]) > 0
    current = await client.get(f"/api/households/{household['id']}", headers=owner.headers())
    assert current.json()["name"] == "Locked"
