"""The function runtime: problem+json for bad input, request ids, ops routes, metrics, logs."""

from __future__ import annotations

import asyncio
import json
import logging

import httpx
import pytest

from shared.settings import get_settings
from tests.plugin import MakeUser
from tests.utils import assert_problem


async def test_runtime_malformed_json_is_400(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    user = make_user()
    response = await client.post(
        "/api/households", headers=user.headers() | {"content-type": "application/json"}, content=b'{"name":'
    )
    assert_problem(response, 400, "malformed-json")


async def test_runtime_wrong_content_type_is_415(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    user = make_user()
    response = await client.post(
        "/api/households", headers=user.headers() | {"content-type": "text/plain"}, content=b"name=Home"
    )
    assert_problem(response, 415, "unsupported-media-type")


async def test_runtime_oversized_body_is_413(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    user = make_user()
    big = {"name": "x" * (get_settings().max_body_bytes + 1)}
    response = await client.post("/api/households", headers=user.headers(), json=big)
    assert_problem(response, 413, "body-too-large")


async def test_runtime_unknown_path_is_problem_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/nothing-here")
    assert_problem(response, 404, "not-found")


async def test_runtime_wrong_method_lists_allowed_methods(client: httpx.AsyncClient) -> None:
    response = await client.put("/api/households")
    assert_problem(response, 405, "method-not-allowed")
    assert set(response.headers["allow"].replace(" ", "").split(",")) >= {"GET", "POST"}


async def test_runtime_request_id_is_echoed_or_made(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/me", headers={"x-request-id": "abc-123"})
    assert response.headers["x-request-id"] == "abc-123"
    assert response.json()["request_id"] == "abc-123"
    made = await client.get("/api/me", headers={"x-request-id": "bad id with spaces"})
    assert made.headers["x-request-id"] != "bad id with spaces"
    assert len(made.headers["x-request-id"]) == 32


async def test_runtime_ops_routes(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    assert (await client.get("/readyz")).json() == {"status": "ready"}


async def test_runtime_metrics_count_requests_by_function(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    def count(text: str) -> float:
        prefix = 'chorus_http_requests_total{function="get_me",method="GET",status="200"} '
        return sum(float(line[len(prefix) :]) for line in text.splitlines() if line.startswith(prefix))

    user = make_user()
    before = count((await client.get("/metrics")).text)
    for _ in range(3):
        assert (await client.get("/api/me", headers=user.headers())).status_code == 200
    metrics = (await client.get("/metrics")).text
    assert count(metrics) == before + 3
    assert 'chorus_http_request_duration_seconds_bucket{function="get_me"' in metrics
    assert 'chorus_http_requests_in_flight{function="get_me"} 0.0' in metrics


async def test_runtime_metrics_count_unknown_methods_as_other(client: httpx.AsyncClient) -> None:
    """A client picks the method: made-up ones share one series instead of adding one each."""
    for method in ("BREW", "WHEN"):
        response = await client.request(method, "/api/me")
        assert_problem(response, 405)
    metrics = (await client.get("/metrics")).text
    assert 'method="OTHER"' in metrics
    assert 'method="BREW"' not in metrics
    assert 'method="WHEN"' not in metrics


def test_json_log_lines_carry_extra_fields_and_utc_millisecond_times() -> None:
    from datetime import UTC, datetime

    from shared.observability import JsonFormatter

    formatter = JsonFormatter()
    # Every millisecond of a second (floats such as .123 sit just below it), the last microsecond,
    # the next second and an earlier one.
    times = [1_700_000_000 + ms / 1000 for ms in range(1000)]
    for created in [*times, 1_700_000_000.9999996, 1_700_000_001.25, 1_600_000_000.5]:
        record = logging.makeLogRecord(
            {
                "name": "chorus.http",
                "msg": "request %s",
                "args": ("done",),
                "levelno": logging.INFO,
                "levelname": "INFO",
                "created": created,
                "function": "get_me",
                "status": 200,
                "color_message": "\x1b[32mrequest\x1b[0m",
                "_private": 1,
            }
        )
        line = json.loads(formatter.format(record))
        assert line == {
            "ts": datetime.fromtimestamp(created, UTC).isoformat(timespec="milliseconds"),
            "level": "info",
            "logger": "chorus.http",
            "msg": "request done",
            "function": "get_me",
            "status": 200,
        }


async def test_runtime_logs_one_json_line_per_request(
    client: httpx.AsyncClient, make_user: MakeUser, caplog: pytest.LogCaptureFixture
) -> None:
    user = make_user()
    with caplog.at_level(logging.INFO, logger="chorus.http"):
        await client.get("/api/me", headers=user.headers() | {"x-request-id": "log-check"})
    records = [r for r in caplog.records if getattr(r, "request_id", None) == "log-check"]
    assert len(records) == 1
    record = records[0]
    assert (record.function, record.status, record.uid) == ("get_me", 200, user.uid)  # type: ignore[attr-defined]
    from shared.observability import JsonFormatter

    line = JsonFormatter().format(record)
    assert '"function": "get_me"' in line
    assert '"status": 200' in line


async def test_runtime_unexpected_error_is_problem_500_without_details() -> None:
    from shared.http import Access, Call, Function, build_app

    async def explode(call: Call) -> None:
        """Fail the way a bug would."""
        raise RuntimeError("secret internal detail")

    app = build_app([Function(handler=explode, method="GET", path="/boom", access=Access.PUBLIC, tag="test")])
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
        response = await http.get("/boom")
    body = assert_problem(response, 500, "internal")
    assert "secret" not in response.text
    assert body["request_id"] == response.headers["x-request-id"]


async def test_runtime_query_parameters_are_validated() -> None:
    from pydantic import BaseModel

    from shared.http import Access, Call, Function, build_app

    class Page(BaseModel):
        limit: int = 20
        tags: list[str] = []

    async def echo_page(call: Call[None, Page]) -> Page:
        """Echo the parsed query."""
        return call.query

    app = build_app(
        [
            Function(
                handler=echo_page, method="GET", path="/page", access=Access.PUBLIC, tag="test", query=Page
            )
        ]
    )
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
        response = await http.get("/page", params=[("limit", "5"), ("tags", "a"), ("tags", "b")])
        assert response.json() == {"limit": 5, "tags": ["a", "b"]}
        assert (await http.get("/page")).json() == {"limit": 20, "tags": []}
        assert (await http.get("/page?tags=solo")).json() == {"limit": 20, "tags": ["solo"]}
        assert_problem(await http.get("/page?limit=1&limit=2"), 422)
        body = assert_problem(await http.get("/page?limit=many"), 422, "validation-failed")
        assert body["errors"][0]["loc"] == ["query", "limit"]


async def test_runtime_read_only_functions_open_no_transaction() -> None:
    from pydantic import BaseModel
    from sqlalchemy import text

    from shared.http import Access, Call, Function, build_app

    class Snapshots(BaseModel):
        same_transaction: bool

    async def snapshots(call: Call) -> Snapshots:
        """Whether two statements, 10 ms apart, saw the same transaction start (`now()`)."""
        first = await call.session.scalar(text("SELECT now()"))
        await call.session.execute(text("SELECT pg_sleep(0.01)"))
        second = await call.session.scalar(text("SELECT now()"))
        return Snapshots(same_transaction=first == second)

    def declared(path: str, *, read_only: bool) -> Function:
        return Function(
            handler=snapshots,
            method="GET",
            path=path,
            access=Access.PUBLIC,
            tag="test",
            response=Snapshots,
            read_only=read_only,
        )

    app = build_app([declared("/read", read_only=True), declared("/default", read_only=False)])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
        # No BEGIN: every statement is a transaction of its own.
        assert (await http.get("/read")).json() == {"same_transaction": False}
        # Otherwise one transaction for the whole request.
        assert (await http.get("/default")).json() == {"same_transaction": True}


def test_runtime_only_get_operations_can_be_read_only() -> None:
    from shared.http import Access, Call, Function

    async def noop(call: Call) -> None:
        """Nothing."""

    with pytest.raises(ValueError, match="only GET"):
        Function(handler=noop, method="POST", path="/x", access=Access.PUBLIC, tag="test", read_only=True)


def test_runtime_sessions_get_pooled_connections_in_order_of_arrival(monkeypatch: pytest.MonkeyPatch) -> None:
    from sqlalchemy import text

    from shared import db

    monkeypatch.setenv("DB_POOL_SIZE", "1")
    monkeypatch.setenv("DB_MAX_OVERFLOW", "0")
    get_settings.cache_clear()
    served: list[int] = []

    async def main() -> None:
        async def use(arrival: int) -> None:
            async with db.session_scope() as session:
                await session.execute(text("SELECT 1"))
                served.append(arrival)

        # Requests keep arriving while earlier ones wait for the one connection, as under load.
        tasks = []
        for arrival in range(400):
            tasks.append(asyncio.create_task(use(arrival)))
            await asyncio.sleep(0 if arrival % 3 else 0.001)
        await asyncio.gather(*tasks)
        await db.dispose_engine()

    try:
        # The race is one of timing: three rounds make a pool that lets newcomers in fail reliably.
        for _ in range(3):
            served.clear()
            asyncio.run(main())  # a loop of its own, so an engine of its own with a pool of one
            overtaken = [arrival for n, arrival in enumerate(served) if arrival != n]
            assert not overtaken, f"served out of order: {served}"
    finally:
        get_settings.cache_clear()


async def test_runtime_text_the_database_cannot_store_is_422_not_500(migrated: None) -> None:
    # The schemas refuse NUL; this is the net under any text field one of them misses.
    from sqlalchemy import text

    from shared.http import Access, Call, Function, build_app

    async def store(call: Call) -> None:
        """Hand PostgreSQL what the query string holds."""
        await call.session.execute(text("SELECT CAST(:t AS text)"), {"t": call.request.query_params["t"]})

    app = build_app([Function(handler=store, method="POST", path="/store", access=Access.PUBLIC, tag="test")])
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
        assert (await http.post("/store", params={"t": "fine"})).status_code == 200
        assert_problem(await http.post("/store", params={"t": "a\x00b"}), 422, "unstorable-text")
