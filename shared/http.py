"""The function runtime: a declared operation becomes a Starlette app with auth, errors and metrics.

A function module declares one `Function` and exports `app = function.app()` and
`handler = lambda_handler(app)`. The gateway serves many functions with `build_app`.
"""

from __future__ import annotations

import asyncio
import enum
import json
import logging
import re
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, Generic, get_origin

import sqlalchemy.exc
from pydantic import BaseModel, ValidationError
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from typing_extensions import TypeVar

from shared import auth, db, users
from shared.errors import (
    BadRequest,
    ChorusError,
    Forbidden,
    NotFound,
    PayloadTooLarge,
    Unavailable,
    Unprocessable,
    UnsupportedMediaType,
)
from shared.models import Membership, Role, User
from shared.observability import IN_FLIGHT, LATENCY, REQUESTS, configure_logging
from shared.settings import get_settings

log = logging.getLogger("chorus.http")

PROBLEM = "application/problem+json"
B = TypeVar("B", bound=BaseModel | None, default=None)
Q = TypeVar("Q", bound=BaseModel | None, default=None)
OPS_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,128}$")
_HTTP_TITLES = {
    400: "Bad request",
    401: "Authentication required",
    403: "Not allowed",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Request body too large",
    415: "Unsupported media type",
    422: "The request is not valid",
    500: "Internal server error",
    503: "Temporarily unavailable",
}


class Access(enum.Enum):
    """Who may call an operation. Household levels need `{household_id}` in the path.

    MEMBER is anyone in the household (children included); ADULT is a member who is not a child.
    """

    PUBLIC = "public"
    USER = "user"
    MEMBER = "member"
    ADULT = "adult"
    ADMIN = "admin"
    OWNER = "owner"

    @property
    def household_role(self) -> Role | None:
        """The least role that may call it, for household operations."""
        return {
            Access.MEMBER: Role.CHILD,
            Access.ADULT: Role.MEMBER,
            Access.ADMIN: Role.ADMIN,
            Access.OWNER: Role.OWNER,
        }.get(self)


@dataclass(slots=True)
class Call(Generic[B, Q]):
    """Everything a handler needs: the parsed input, the caller, and a session for `shared`."""

    request: Request
    session: AsyncSession
    claims: auth.Claims | None
    caller: User | None
    membership: Membership | None
    body: B
    query: Q

    @property
    def user(self) -> User:
        assert self.caller is not None, "public operations have no user"
        return self.caller

    @property
    def auth_claims(self) -> auth.Claims:
        assert self.claims is not None, "public operations have no token"
        return self.claims

    @property
    def member(self) -> Membership:
        assert self.membership is not None, "only household operations have a membership"
        return self.membership

    @property
    def idempotency_key(self) -> str | None:
        """The Idempotency-Key header, if sent (length checked by the runtime)."""
        return self.request.headers.get("idempotency-key") or None

    def path_id(self, name: str) -> uuid.UUID:
        """A `{name:uuid}` path parameter (Starlette's convertor already parsed it)."""
        value = self.request.path_params[name]
        assert isinstance(value, uuid.UUID)
        return value


# A handler returns a model (serialized as JSON), None (an empty body), or, for operations that
# declare another `media_type`, a finished `Response` that the runtime passes through unchanged.
Handler = Callable[[Call[Any, Any]], Awaitable[BaseModel | Response | None]]


@dataclass(frozen=True, kw_only=True)
class Function:
    """One API operation: its contract, its access level and its handler."""

    handler: Handler
    method: str
    path: str
    access: Access
    tag: str
    request: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    # The success body's type; anything but JSON (an iCal feed) is a `Response` from the handler.
    media_type: str = "application/json"
    status_code: int = 200
    # Statuses the handler itself may answer with, besides the ones every operation has.
    errors: tuple[int, ...] = ()
    # Retries carrying the same Idempotency-Key header get the first answer again.
    idempotent: bool = False
    # The path holds a credential (a calendar feed token): the access log shows the route instead.
    secret_path: bool = False
    # Only reads: the session opens no transaction (`db.session_scope(autocommit=True)`), two round
    # trips fewer per request on a direct connection. The writes a read may make (the caller's user
    # row on first sight, their changed email) are single statements and commit on their own.
    read_only: bool = False
    name: str = field(default="")
    summary: str = field(default="")

    def __post_init__(self) -> None:
        object.__setattr__(self, "name", self.name or self.handler.__name__)
        doc = (self.handler.__doc__ or "").strip().splitlines()
        object.__setattr__(self, "summary", self.summary or (doc[0] if doc else self.name))
        if self.access.household_role is not None and "{household_id:uuid}" not in self.path:
            raise ValueError(f"{self.name}: household operations need {{household_id:uuid}} in the path")
        if self.read_only and self.method != "GET":
            raise ValueError(f"{self.name}: only GET operations can be read_only")
        if self.response is not None and self.media_type != "application/json":
            raise ValueError(
                f"{self.name}: a response model is JSON; a {self.media_type} handler returns a Response"
            )

    @property
    def statuses(self) -> list[int]:
        """Every status this operation documents."""
        codes = {self.status_code, 400, 404, 405, 413, 415, 422, 503, *self.errors}
        if self.access is not Access.PUBLIC:
            codes.add(401)
        role = self.access.household_role
        if role is not None and role is not Role.CHILD:
            codes.add(403)
        return sorted(codes)

    def app(self) -> Starlette:
        """A Starlette app serving exactly this operation plus the ops routes."""
        return build_app([self])


def _endpoint(fn: Function) -> Callable[[Request], Awaitable[Response]]:
    household_role = fn.access.household_role
    in_flight = IN_FLIGHT.labels(fn.name)

    async def endpoint(request: Request) -> Response:
        request.state.function = fn.name
        if fn.secret_path:
            request.state.log_path = fn.path
        in_flight.inc()
        try:
            claims = None if fn.access is Access.PUBLIC else await auth.authenticate(request)
            if claims is not None:
                request.state.uid = claims.uid
            async with db.session_scope(autocommit=fn.read_only) as session:
                caller, membership = None, None
                if claims is not None:
                    household_id = request.path_params.get("household_id")
                    caller, membership = await users.resolve_caller(
                        session, claims=claims, household_id=household_id if household_role else None
                    )
                if household_role is not None:
                    if membership is None:
                        raise NotFound("household not found", code="household-not-found")
                    if membership.role.rank < household_role.rank:
                        raise Forbidden(
                            f"{fn.name} needs the {household_role.value} role in this household",
                            code="role-required",
                        )
                if fn.idempotent and len(request.headers.get("idempotency-key", "")) > 200:
                    raise BadRequest(
                        "Idempotency-Key may be at most 200 characters", code="bad-idempotency-key"
                    )
                body = await _parse_body(request, fn.request) if fn.request else None
                query = _parse_query(request, fn.query) if fn.query else None
                call: Call[Any, Any] = Call(request, session, claims, caller, membership, body, query)
                result = await fn.handler(call)
        except (*_DB_DOWN, sqlalchemy.exc.DBAPIError) as error:
            if _sqlstate(error) in _UNSTORABLE_TEXT:
                # The schemas refuse such text; this keeps any field they miss from becoming a 500.
                raise Unprocessable(
                    "the request holds text that cannot be stored (such as a NUL character)",
                    code="unstorable-text",
                ) from error
            if not _database_down(error):
                raise
            # Outages answer 503 + Retry-After, so clients back off instead of seeing a 500.
            log.warning("database unavailable: %s", error, extra={"request_id": _rid(request)})
            raise Unavailable(
                "the database is not reachable; try again shortly", code="database-unavailable"
            ) from error
        finally:
            in_flight.dec()
        if isinstance(result, Response):
            return result
        if result is None:
            return Response(status_code=fn.status_code)
        return Response(result.model_dump_json(), status_code=fn.status_code, media_type="application/json")

    endpoint.__name__ = fn.name
    return endpoint


def _validation_problem(error: ValidationError, where: str) -> ChorusError:
    issues = [
        {"loc": [where, *error_["loc"]], "message": error_["msg"], "type": error_["type"]}
        for error_ in error.errors(include_url=False, include_context=False, include_input=False)
    ]
    if any(issue["type"] == "json_invalid" for issue in issues):
        return BadRequest("the request body is not valid JSON", code="malformed-json")
    return Unprocessable(f"the {where} is not valid", errors=issues)


async def _parse_body(request: Request, model: type[BaseModel]) -> BaseModel:
    content_type = request.headers.get("content-type", "application/json").split(";")[0].strip().lower()
    if content_type != "application/json" and not content_type.endswith("+json"):
        raise UnsupportedMediaType("send the body as application/json")
    limit = get_settings().max_body_bytes
    declared = request.headers.get("content-length", "")
    if declared.isdecimal() and int(declared) > limit:
        raise PayloadTooLarge(f"the body may be at most {limit} bytes")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"the body may be at most {limit} bytes")
        chunks.append(chunk)
    raw = b"".join(chunks) or b"{}"
    try:
        return model.model_validate_json(raw)
    except ValidationError as error:
        raise _validation_problem(error, "body") from None


def _parse_query(request: Request, model: type[BaseModel]) -> BaseModel:
    params: dict[str, Any] = {}
    for key in request.query_params:
        values = request.query_params.getlist(key)
        field = model.model_fields.get(key)
        # A list field takes `?tag=a` as ["a"]; a repeated scalar stays a list, so it fails loudly.
        many = field is not None and get_origin(field.annotation) in (list, set, tuple, frozenset)
        params[key] = values if many or len(values) > 1 else values[0]
    try:
        return model.model_validate(params)
    except ValidationError as error:
        raise _validation_problem(error, "query") from None


def problem(
    request: Request,
    status: int,
    *,
    code: str,
    title: str,
    detail: str,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response:
    """An RFC 9457 problem document; `type` is `/problems/<code>`, resolved against the API."""
    body = {
        "type": f"/problems/{code}",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
        "request_id": request.scope.get("state", {}).get("request_id", ""),
        **extra,
    }
    return Response(json.dumps(body), status_code=status, media_type=PROBLEM, headers=headers)


async def _chorus_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ChorusError)
    headers = dict(exc.headers)
    if exc.status == 401:
        headers.setdefault("WWW-Authenticate", 'Bearer error="invalid_token"')
    return problem(
        request, exc.status, code=exc.code, title=exc.title, detail=exc.detail, headers=headers, **exc.extra
    )


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code = {404: "not-found", 405: "method-not-allowed"}.get(exc.status_code, f"http-{exc.status_code}")
    detail = exc.detail
    if exc.status_code == 404:
        detail = f"no operation at {request.method} {request.url.path}"
    return problem(
        request,
        exc.status_code,
        code=code,
        title=_HTTP_TITLES.get(exc.status_code, "Error"),
        detail=detail,
        headers=dict(exc.headers or {}),
    )


# What a database outage looks like from here. OSError covers refused connections, missing
# sockets and timeouts alike (asyncpg raises them bare while connecting).
_DB_DOWN = (
    sqlalchemy.exc.OperationalError,
    sqlalchemy.exc.InterfaceError,
    sqlalchemy.exc.TimeoutError,
    OSError,
)
# SQLSTATE classes of the same: 08 connection exception (the session ended under us), 57P operator
# intervention (shutting down, starting up), 57014 a statement cancelled by statement_timeout (an
# overloaded or locked database) and 53 insufficient resources (too many connections).
# asyncpg's errors for these reach us as a plain DBAPIError.
_DOWN_SQLSTATES = ("08", "57P", "57014", "53")


# Text PostgreSQL refuses: a character it cannot hold (NUL) or convert to the database's encoding.
_UNSTORABLE_TEXT = ("22021", "22P05")


def _sqlstate(error: Exception) -> str:
    if isinstance(error, sqlalchemy.exc.DBAPIError):
        return str(getattr(error.orig, "sqlstate", None) or "")
    return ""


def _database_down(error: Exception) -> bool:
    if isinstance(error, _DB_DOWN):
        return True
    if isinstance(error, sqlalchemy.exc.DBAPIError):
        return error.connection_invalidated or _sqlstate(error).startswith(_DOWN_SQLSTATES)
    return False


def _rid(request: Request) -> str:
    return str(request.scope.get("state", {}).get("request_id", ""))


# The labelled request metrics by (function, method, status): looking a child up by its labels
# costs a lock and a tuple each time, and every request does it twice. Methods are the client's
# to choose, so any that RFC 9110 does not define count as OTHER: one series, not one per spelling.
_SERIES: dict[tuple[str, str, int], tuple[Any, Any]] = {}
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT"})


def _series(function: str, method: str, status: int) -> tuple[Any, Any]:
    if method not in _METHODS:
        method = "OTHER"
    found = _SERIES.get((function, method, status))
    if found is None:
        found = REQUESTS.labels(function, method, str(status)), LATENCY.labels(function, method)
        _SERIES[function, method, status] = found
    return found


class Observe:
    """Request ids, one JSON access-log line, and the request metrics; pure ASGI, so it is cheap."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in OPS_PATHS:
            await self.app(scope, receive, send)
            return
        incoming = next((v for k, v in scope["headers"] if k == b"x-request-id"), b"").decode("latin-1")
        request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        status = 0
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            # A bug, not bad input: log it once with the request id, answer a bare problem.
            log.exception(
                "unhandled error", extra={"request_id": request_id, "function": state.get("function")}
            )
            if status:
                raise  # the response had begun; all we can do is drop the connection
            response = problem(
                Request(scope),
                500,
                code="internal",
                title="Internal server error",
                detail="the error was logged",
            )
            await response(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            function = state.get("function", "-")
            requests, latency = _series(function, scope["method"], status)
            requests.inc()
            latency.observe(elapsed)
            log.info(
                "request",
                extra={
                    "function": function,
                    "method": scope["method"],
                    "path": state.get("log_path", scope["path"]),
                    "status": status,
                    "duration_ms": round(elapsed * 1000, 2),
                    "request_id": request_id,
                    "uid": state.get("uid"),
                },
            )


async def healthz(request: Request) -> Response:
    """Liveness: the process answers."""
    return Response('{"status":"ok"}', media_type="application/json")


async def readyz(request: Request) -> Response:
    """Readiness: the database answers within a second."""
    try:
        async with asyncio.timeout(1.0), db.session_scope() as session:
            await session.execute(text("SELECT 1"))
    except Exception as error:  # any failure means "not ready", never a 500
        log.warning("not ready: %s", error)
        return problem(
            request,
            503,
            code="not-ready",
            title="Not ready",
            detail="the database is not reachable",
            headers={"Retry-After": "5"},
        )
    return Response('{"status":"ready"}', media_type="application/json")


async def metrics(request: Request) -> Response:
    """Prometheus exposition of this process's metrics."""
    from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


def function_routes(functions: Sequence[Function]) -> list[BaseRoute]:
    """One route per path, so a wrong method gets a 405 whose Allow lists every method there."""
    by_path: dict[str, dict[str, Callable[[Request], Awaitable[Response]]]] = {}
    for fn in functions:
        by_path.setdefault(fn.path, {})[fn.method] = _endpoint(fn)
    routes: list[BaseRoute] = []
    for path, endpoints in by_path.items():
        if len(endpoints) == 1:
            routes.append(Route(path, next(iter(endpoints.values())), methods=list(endpoints)))
            continue

        async def dispatch(
            request: Request, endpoints: dict[str, Callable[[Request], Awaitable[Response]]] = endpoints
        ) -> Response:
            method = "GET" if request.method == "HEAD" else request.method
            return await endpoints[method](request)

        routes.append(Route(path, dispatch, methods=list(endpoints)))
    return routes


def ops_routes() -> list[BaseRoute]:
    return [
        Route("/healthz", healthz, methods=["GET"], include_in_schema=False),
        Route("/readyz", readyz, methods=["GET"], include_in_schema=False),
        Route("/metrics", metrics, methods=["GET"], include_in_schema=False),
    ]


# The one event loop of a Lambda process. shared.db caches the engine (and so the connection pool)
# and shared.events the Redis client per event loop: warm invocations reuse them only on one loop.
_lambda_loop: asyncio.AbstractEventLoop | None = None


def lambda_loop() -> asyncio.AbstractEventLoop:
    """The event loop every Lambda invocation in this process runs on (created on first use)."""
    global _lambda_loop
    if _lambda_loop is None or _lambda_loop.is_closed():
        _lambda_loop = asyncio.new_event_loop()
    return _lambda_loop


def lambda_handler(app: Starlette) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    """The app for AWS Lambda: API Gateway HTTP API (payload v2) and ALB events, through Mangum.

    Lifespan is off: Mangum would run startup and shutdown around every invocation, and our
    shutdown closes the pool. Every invocation runs on `lambda_loop()`, made the thread's current
    loop first, because Mangum runs on whatever loop is current and anything that called
    `asyncio.run()` in between would have unset it. One invocation at a time, as Lambda calls it.
    Mangum is imported on first use, so Knative pods never import it and importing a module opens
    no event loop."""
    adapter: Any = None

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        nonlocal adapter
        asyncio.set_event_loop(lambda_loop())
        if adapter is None:
            from mangum import Mangum
            from mangum.adapter import DEFAULT_TEXT_MIME_TYPES

            # Problem documents are text too; otherwise API Gateway gets them base64-encoded.
            adapter = Mangum(app, lifespan="off", text_mime_types=[*DEFAULT_TEXT_MIME_TYPES, PROBLEM])
        return dict(adapter(event, context))

    return handler


@asynccontextmanager
async def _lifespan(app: Starlette) -> AsyncIterator[None]:
    yield
    from shared import events

    await events.close()
    await db.dispose_engine()


def build_app(functions: Sequence[Function], *, extra_routes: Sequence[BaseRoute] = ()) -> Starlette:
    """One Starlette app serving the given operations, the ops routes and any extra routes."""
    configure_logging(get_settings().log_level)
    app = Starlette(
        routes=[*function_routes(functions), *ops_routes(), *extra_routes],
        exception_handlers={
            ChorusError: _chorus_error,
            HTTPException: _http_error,
        },
        lifespan=_lifespan,
    )
    app.add_middleware(Observe)
    return app
