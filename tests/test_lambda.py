"""AWS Lambda: Mangum handlers answer API Gateway v2 and ALB events against the real database and
auth emulator, reuse one engine across warm invocations, and the SAM template follows the registry."""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import importlib
import json
import os
import re
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import quote_plus, urlencode

import pytest
from sqlalchemy import event as sa_event
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.routing import compile_path

from functions.calendar import create_calendar_feed, get_calendar_feed
from functions.chores import create_chore
from functions.households import create_household, get_household
from functions.me import get_me
from functions.occurrences import complete_occurrence, list_occurrences
from functions.registry import FUNCTIONS, all_functions
from functions.sam import handler_name, logical_id, render, route_path, template
from shared import db, events, http
from shared.settings import Settings
from tests.plugin import FirebaseUser, MakeUser
from tests.utils import daily

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "deploy" / "lambda" / "template.yaml"
SHAPES = ["http-api", "alb", "alb-multi"]
TARGET_GROUP = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/chorus/6d0ecf831eec9f09"


# --- Events as API Gateway (HTTP API, payload 2.0) and an Application Load Balancer send them --------


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes
    base64: bool
    raw: dict[str, Any]

    def json(self) -> Any:
        return json.loads(self.body)


class _Context:
    function_name = "chorus-test"
    aws_request_id = "lambda-req-1"


def _http_api_event(
    method: str,
    path: str,
    route: str,
    headers: dict[str, str],
    query: list[tuple[str, str]],
    body: str,
    b64: bool,
) -> dict[str, Any]:
    now = time.time()
    grouped: dict[str, list[str]] = {}
    for key, value in query:
        grouped.setdefault(key, []).append(value)
    return {
        "version": "2.0",
        "routeKey": f"{method} {route}",
        "rawPath": path,
        # The query string as the client sent it; the parsed map joins repeated values with commas.
        "rawQueryString": urlencode(query),
        **({"queryStringParameters": {k: ",".join(v) for k, v in grouped.items()}} if query else {}),
        "cookies": [],
        "headers": headers,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "abc123",
            "domainName": "abc123.execute-api.eu-west-1.amazonaws.com",
            "domainPrefix": "abc123",
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "203.0.113.7",
                "userAgent": "pytest",
            },
            "requestId": "lambda-req-1",
            "routeKey": f"{method} {route}",
            "stage": "$default",
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "timeEpoch": int(now * 1000),
        },
        **({"body": body} if body else {}),
        "isBase64Encoded": b64,
    }


def _alb_event(
    method: str,
    path: str,
    headers: dict[str, str],
    query: list[tuple[str, str]],
    body: str,
    b64: bool,
    multi: bool,
) -> dict[str, Any]:
    # The load balancer passes query parameters still URL-encoded. Without multi-value headers
    # enabled on the target group it sends one value per name: the last one the client sent.
    common = {
        "requestContext": {"elb": {"targetGroupArn": TARGET_GROUP}},
        "httpMethod": method,
        "path": path,
        "body": body,
        "isBase64Encoded": b64,
    }
    encoded = [(quote_plus(key), quote_plus(value)) for key, value in query]
    if multi:
        values: dict[str, list[str]] = {}
        for key, value in encoded:
            values.setdefault(key, []).append(value)
        return {
            **common,
            "multiValueQueryStringParameters": values,
            "multiValueHeaders": {name: [value] for name, value in headers.items()},
        }
    return {**common, "queryStringParameters": dict(encoded), "headers": headers}


def _answer(raw: dict[str, Any], shape: str) -> Answer:
    assert isinstance(raw["statusCode"], int), raw
    if shape == "alb-multi":
        assert "headers" not in raw, raw  # the target group expects multiValueHeaders only
        headers = {name.lower(): values[-1] for name, values in raw["multiValueHeaders"].items()}
    else:
        assert "multiValueHeaders" not in raw, raw
        headers = {name.lower(): value for name, value in raw["headers"].items()}
    text = raw.get("body", "")
    body = base64.b64decode(text) if raw["isBase64Encoded"] else text.encode()
    return Answer(raw["statusCode"], headers, body, raw["isBase64Encoded"], raw)


def invoke(
    module: ModuleType,
    shape: str,
    *,
    path: str,
    user: FirebaseUser | None = None,
    query: list[tuple[str, str]] | None = None,
    body: Any = None,
    b64: bool = False,
    headers: dict[str, str] | None = None,
) -> Answer:
    """Call the module's Lambda handler with the event `shape` sends for this request."""
    function = module.function
    sent = {
        "host": "api.chorus.example",
        "x-forwarded-for": "203.0.113.7",
        "x-forwarded-port": "443",
        "x-forwarded-proto": "https",
        "user-agent": "pytest",
        **({"authorization": f"Bearer {user.id_token}"} if user else {}),
        **({"content-type": "application/json"} if body is not None else {}),
        **(headers or {}),
    }
    text = "" if body is None else json.dumps(body)
    if b64:
        text = base64.b64encode(text.encode()).decode()
    if shape == "http-api":
        event = _http_api_event(
            function.method, path, route_path(function.path), sent, query or [], text, b64
        )
    else:
        event = _alb_event(function.method, path, sent, query or [], text, b64, multi=shape == "alb-multi")
    return _answer(module.handler(event, _Context()), shape)


async def _close_lambda_clients() -> None:
    await events.close()
    await db.dispose_engine()


async def _engine() -> AsyncEngine:
    return db.get_engine()


@pytest.fixture(scope="module", autouse=True)
def _lambda_process() -> Iterator[None]:
    """Like a Lambda process ending: close what the handlers' loop holds, then the loop."""
    yield
    loop = http.lambda_loop()
    loop.run_until_complete(_close_lambda_clients())
    loop.close()
    asyncio.set_event_loop(None)


def _household(user: FirebaseUser, shape: str) -> dict[str, Any]:
    created = invoke(
        create_household,
        shape,
        path="/api/households",
        user=user,
        body={"name": "Lambda Home", "timezone": "UTC"},
    )
    assert created.status == 201, created.raw
    return dict(created.json())


# --- Operations through both event shapes ------------------------------------------------------


@pytest.mark.parametrize("b64", [False, True], ids=["text-body", "base64-body"])
@pytest.mark.parametrize("shape", SHAPES)
def test_lambda_create_then_get_household(make_user: MakeUser, shape: str, b64: bool) -> None:
    user = make_user("lambda")
    created = invoke(
        create_household,
        shape,
        path="/api/households",
        user=user,
        body={"name": "Lambda Home", "timezone": "Europe/Berlin"},
        b64=b64,
    )
    assert created.status == 201, created.raw
    assert created.headers["content-type"] == "application/json"
    assert created.base64 is False
    assert re.fullmatch(r"[0-9a-f]{32}", created.headers["x-request-id"])
    household = created.json()
    assert (household["name"], household["timezone"]) == ("Lambda Home", "Europe/Berlin")

    fetched = invoke(get_household, shape, path=f"/api/households/{household['id']}", user=user)
    assert fetched.status == 200, fetched.raw
    assert fetched.json()["id"] == household["id"]
    assert fetched.json()["name"] == "Lambda Home"


@pytest.mark.parametrize("shape", SHAPES)
def test_lambda_list_occurrences_repeated_status_and_encoded_times(make_user: MakeUser, shape: str) -> None:
    user = make_user("occurrences")
    household = _household(user, shape)
    me = invoke(get_me, shape, path="/api/me", user=user).json()
    base = f"/api/households/{household['id']}"
    chore = invoke(
        create_chore,
        shape,
        path=f"{base}/chores",
        user=user,
        body={"title": "Dishes", "eligible": [me["id"]], "schedule": daily()},
    )
    assert chore.status == 201, chore.raw
    listed = invoke(
        list_occurrences, shape, path=f"{base}/occurrences", user=user, query=[("status", "open")]
    )
    assert listed.status == 200, listed.raw
    [first] = listed.json()["data"]
    done = invoke(
        complete_occurrence, shape, path=f"{base}/occurrences/{first['id']}/complete", user=user, body={}
    )
    assert done.status == 200, done.raw

    # `+` in the offset travels as %2B: decoded wrongly it would be a space and a 422.
    until = (dt.datetime.now(dt.UTC) + dt.timedelta(days=30)).replace(microsecond=0).isoformat()
    query = [("status", "open"), ("status", "done"), ("due_before", until), ("chore_id", chore.json()["id"])]
    both = invoke(list_occurrences, shape, path=f"{base}/occurrences", user=user, query=query)
    assert both.status == 200, both.raw
    statuses = sorted(occurrence["status"] for occurrence in both.json()["data"])
    if shape == "alb":
        # A target group without multi-value headers passes only the last `status`: enable
        # lambda.multi_value_headers.enabled (deploy/lambda/README.md) for repeated parameters.
        assert statuses == ["done"]
    else:
        assert statuses == ["done", "open"]


@pytest.mark.parametrize("shape", SHAPES)
def test_lambda_complete_occurrence_idempotency_key_replays(make_user: MakeUser, shape: str) -> None:
    user = make_user("idempotent")
    household = _household(user, shape)
    me = invoke(get_me, shape, path="/api/me", user=user).json()
    base = f"/api/households/{household['id']}"
    chore = invoke(
        create_chore,
        shape,
        path=f"{base}/chores",
        user=user,
        body={"title": "Bins", "eligible": [me["id"]], "schedule": daily()},
    )
    [first] = invoke(list_occurrences, shape, path=f"{base}/occurrences", user=user).json()["data"]
    path = f"{base}/occurrences/{first['id']}/complete"
    key = {"idempotency-key": f"tap-{uuid.uuid4().hex}"}
    one = invoke(complete_occurrence, shape, path=path, user=user, body={"note": "done"}, headers=key)
    two = invoke(complete_occurrence, shape, path=path, user=user, body={"note": "done"}, headers=key)
    assert one.status == two.status == 200, (one.raw, two.raw)
    assert one.json()["history_id"] == two.json()["history_id"]
    assert one.json()["occurrence"]["status"] == "done"
    assert [o["id"] for o in one.json()["next"]] == [o["id"] for o in two.json()["next"]]
    assert chore.json()["id"] == one.json()["occurrence"]["chore_id"]
    other = invoke(
        complete_occurrence, shape, path=path, user=user, body={}, headers={"idempotency-key": "other"}
    )
    assert other.status == 409, other.raw
    assert other.json()["type"] == "/problems/occurrence-not-open"


@pytest.mark.parametrize("shape", SHAPES)
def test_lambda_get_calendar_feed_answers_text_calendar(make_user: MakeUser, shape: str) -> None:
    user = make_user("calendar")
    _household(user, shape)
    feed = invoke(create_calendar_feed, shape, path="/api/me/calendar-feeds", user=user)
    assert feed.status == 201, feed.raw
    path = "/" + feed.json()["url"].split("/", 3)[3]
    assert path.startswith("/api/calendar/")
    assert path.endswith(".ics")

    answer = invoke(get_calendar_feed, shape, path=path)  # the URL is the key: no token
    assert answer.status == 200, answer.raw
    assert answer.headers["content-type"] == "text/calendar; charset=utf-8"
    assert answer.headers["cache-control"] == "private, max-age=300"
    assert answer.base64 is False  # text: passed as is, never base64
    assert answer.body.startswith(b"BEGIN:VCALENDAR\r\n")
    assert answer.body.rstrip().endswith(b"END:VCALENDAR")

    # API Gateway's route takes the whole last segment; the function still insists on `.ics`.
    missing = invoke(get_calendar_feed, shape, path=path.removesuffix(".ics"))
    assert missing.status == 404, missing.raw
    assert missing.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize("shape", SHAPES)
def test_lambda_refuses_missing_token_with_problem(shape: str) -> None:
    answer = invoke(get_household, shape, path=f"/api/households/{uuid.uuid4()}")
    assert answer.status == 401, answer.raw
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.headers["www-authenticate"].startswith("Bearer")
    assert answer.base64 is False
    problem = answer.json()
    assert problem["type"] == "/problems/unauthorized"
    assert problem["status"] == 401
    assert problem["request_id"] == answer.headers["x-request-id"]


@pytest.mark.parametrize("shape", SHAPES)
def test_lambda_invalid_body_answers_422_problem(make_user: MakeUser, shape: str) -> None:
    user = make_user("invalid")
    answer = invoke(
        create_household,
        shape,
        path="/api/households",
        user=user,
        body={"name": "Home", "timezone": "Mars/Olympus_Mons"},
        b64=shape == "alb",
    )
    assert answer.status == 422, answer.raw
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.base64 is False
    problem = answer.json()
    assert problem["type"] == "/problems/validation-failed"
    assert [issue["loc"] for issue in problem["errors"]] == [["body", "timezone"]]


# --- Warm invocations -------------------------------------------------------------------------


def test_lambda_warm_invocations_reuse_one_engine_and_connection(make_user: MakeUser) -> None:
    user = make_user("warm")
    loop = http.lambda_loop()
    loop.run_until_complete(_close_lambda_clients())  # start cold: no engine, no pool
    engine = loop.run_until_complete(_engine())
    connected: list[int] = []
    checked_out: list[int] = []

    @sa_event.listens_for(engine.sync_engine, "connect")
    def on_connect(dbapi_connection: Any, record: Any) -> None:
        connected.append(dbapi_connection.driver_connection.get_server_pid())

    @sa_event.listens_for(engine.sync_engine, "checkout")
    def on_checkout(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        checked_out.append(dbapi_connection.driver_connection.get_server_pid())

    cold = invoke(get_me, "http-api", path="/api/me", user=user)
    # Something else in the process runs its own loop and leaves none current (as asyncio.run
    # does); Mangum alone would then fail with "no current event loop" or start a new pool.
    asyncio.run(asyncio.sleep(0))
    warm = invoke(get_me, "alb", path="/api/me", user=user)

    assert cold.status == warm.status == 200, (cold.raw, warm.raw)
    assert cold.json()["id"] == warm.json()["id"]
    assert loop.run_until_complete(_engine()) is engine
    assert len(connected) == 1  # one connection, opened by the cold invocation only
    assert len(checked_out) >= 2
    assert set(checked_out) == set(connected)  # the warm one reused the same server backend
    assert (engine.pool.checkedin(), engine.pool.checkedout()) == (1, 0)  # type: ignore[attr-defined]


# --- The SAM template ------------------------------------------------------------------------


def _functions_in(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        id_: resource["Properties"]
        for id_, resource in document["Resources"].items()
        if resource["Type"] == "AWS::Serverless::Function"
    }


def test_sam_template_has_one_function_and_route_per_operation() -> None:
    functions = all_functions()
    found = _functions_in(template(functions))
    assert len(found) == len(FUNCTIONS) == 42
    assert list(found) == [logical_id(function) for function in functions]
    assert logical_id(functions[FUNCTIONS.index("occurrences.complete_occurrence")]) == "CompleteOccurrence"
    routes = set()
    for entry, function in zip(FUNCTIONS, functions, strict=True):
        properties = found[logical_id(function)]
        assert properties["PackageType"] == "Image"
        assert handler_name(function) == f"functions.{entry}.handler"
        assert properties["ImageConfig"] == {"Command": [f"functions.{entry}.handler"]}
        assert callable(importlib.import_module(f"functions.{entry}").handler)
        assert properties["FunctionName"] == {
            "Fn::Sub": f"${{AWS::StackName}}-{function.name.replace('_', '-')}"
        }
        assert list(properties["Events"]) == ["Api"]
        api = properties["Events"]["Api"]
        assert api["Type"] == "HttpApi"
        assert api["Properties"]["ApiId"] == {"Ref": "ChorusApi"}
        assert api["Properties"]["Method"] == function.method
        expected = re.sub(r"\{(\w+):\w+\}(\.ics)?", r"{\1}", function.path)
        assert api["Properties"]["Path"] == expected
        assert ":" not in api["Properties"]["Path"]
        routes.add((function.method, api["Properties"]["Path"]))
    assert len(routes) == len(functions)  # API Gateway refuses two routes with one key
    # Lambda names are at most 64 characters: a stack name of up to 35 leaves room for every one.
    assert max(len(function.name) for function in functions) + len("-") + 35 <= 64
    assert found["GetCalendarFeed"]["Events"]["Api"]["Properties"]["Path"] == "/api/calendar/{token}"


def _sample_url(path: str) -> str:
    samples = {"uuid": str(uuid.uuid4()), "str": "sample", "int": "7", "path": "a/b"}
    return re.sub(r"\{(\w+)(?::(\w+))?\}", lambda m: samples[m.group(2) or "str"], path)


def test_sam_routes_send_every_operation_url_to_its_function() -> None:
    functions = all_functions()
    routes = [
        (props["Events"]["Api"]["Properties"]["Method"], props["Events"]["Api"]["Properties"]["Path"], id_)
        for id_, props in _functions_in(template(functions)).items()
    ]
    for function in functions:
        url = _sample_url(function.path)
        assert compile_path(function.path)[0].match(url), url  # the function's own router takes it
        candidates = []
        for method, route, id_ in routes:
            pattern = re.sub(r"\\\{\w+\\\+\\\}", ".+", re.sub(r"\\\{\w+\\\}", "[^/]+", re.escape(route)))
            if method == function.method and re.fullmatch(pattern, url):
                literal = sum(1 for part in route.split("/") if "{" not in part)
                candidates.append((literal, id_))
        # API Gateway picks the most specific route: it must be this function's, and only it.
        best = max(candidates)
        assert best[1] == logical_id(function), (url, candidates)
        assert [c for c in candidates if c[0] == best[0]] == [best], (url, candidates)


def test_sam_route_path_takes_whole_segments() -> None:
    assert route_path("/api/households/{household_id:uuid}/members/{user_id:uuid}") == (
        "/api/households/{household_id}/members/{user_id}"
    )
    assert route_path("/api/calendar/{token:str}.ics") == "/api/calendar/{token}"
    assert route_path("/files/{rest:path}") == "/files/{rest+}"
    with pytest.raises(ValueError, match="one variable per path segment"):
        route_path("/api/{a}-{b}")


def test_sam_template_refers_to_secrets_and_holds_none() -> None:
    document = template(all_functions())
    variables = document["Globals"]["Function"]["Environment"]["Variables"]
    for name in ("DATABASE_URL", "REDIS_URL"):
        assert variables[name] == {
            "Fn::Sub": f"{{{{resolve:secretsmanager:${{SecretId}}:SecretString:{name}}}}}"
        }
    rendered = json.dumps(document)
    assert not re.search(r"://[^/\s\"]*:[^@\s\"]*@", rendered)  # no URL with a password
    assert "FIREBASE_AUTH_EMULATOR_HOST" not in rendered
    assert variables["ENVIRONMENT"] == "production"


def _resolve(value: Any, parameters: dict[str, str], secrets: dict[str, str], proxy: bool) -> str | None:
    """What CloudFormation puts into the variable (None: AWS::NoValue drops it)."""
    if isinstance(value, str):
        return value
    if "Ref" in value:
        return None if value["Ref"] == "AWS::NoValue" else parameters[value["Ref"]]
    if "Fn::If" in value:
        condition, then, otherwise = value["Fn::If"]
        assert condition == "UseRdsProxy"
        return _resolve(then if proxy else otherwise, parameters, secrets, proxy)
    found = re.fullmatch(
        r"\{\{resolve:secretsmanager:\$\{SecretId\}:SecretString:(\w+)\}\}", value["Fn::Sub"]
    )
    assert found, value
    return secrets[found.group(1)]


@pytest.mark.parametrize("proxy", [True, False], ids=["rds-proxy", "direct"])
def test_sam_environment_is_a_valid_production_configuration(
    monkeypatch: pytest.MonkeyPatch, proxy: bool
) -> None:
    variables = template(all_functions())["Globals"]["Function"]["Environment"]["Variables"]
    assert set(variables) <= {name.upper() for name in Settings.model_fields}
    parameters = {
        "LogLevel": "INFO",
        "FirebaseProjectId": "chorus-prod",
        "FirebaseWebApiKey": "AIzaSyExampleExampleExampleExample00",
        "FirebaseAuthDomain": "",
        "PublicUrl": "https://chorus.example.com",
    }
    secrets = {
        "DATABASE_URL": "postgresql+asyncpg://chorus:from-secrets-manager@proxy.example:5432/chorus",
        "REDIS_URL": "rediss://default:from-secrets-manager@redis.example:6379/0",
    }
    for name in Settings.model_fields:  # a Lambda starts with only the template's variables
        monkeypatch.delenv(name.upper(), raising=False)
    for name, value in variables.items():
        resolved = _resolve(value, parameters, secrets, proxy)
        if resolved is not None:
            monkeypatch.setenv(name, resolved)
    settings = Settings(_env_file=None)
    assert settings.environment == "production"
    assert (settings.db_pool, settings.db_pool_size, settings.db_max_overflow) == ("queue", 1, 0)
    assert settings.db_statement_cache_size == (0 if proxy else 100)
    assert settings.database_url == secrets["DATABASE_URL"]
    assert settings.emulator is False


def test_sam_template_is_deterministic_json_data() -> None:
    functions = all_functions()
    first = template(functions)
    expected = render(first)
    assert json.loads(json.dumps(first)) == first  # plain data: SAM takes it as JSON or YAML
    first["Globals"]["Function"]["Environment"]["Variables"]["ENVIRONMENT"] = "changed"
    first["Parameters"]["ImageUri"]["Type"] = "changed"
    assert render(template(functions)) == expected  # the same input, the same text; nothing shared


def test_sam_template_file_is_current() -> None:
    yaml: Any = importlib.import_module("yaml")
    assert TEMPLATE.is_file(), f"{TEMPLATE} is missing: run `chorus manifests`"
    on_disk = yaml.safe_load(TEMPLATE.read_text())
    assert on_disk == template(all_functions()), f"{TEMPLATE} is out of date: run `chorus manifests`"


def _cfn_lint() -> str:
    found = shutil.which("cfn-lint", path=os.pathsep.join([str(ROOT / ".venv" / "bin"), os.environ["PATH"]]))
    if found is None:
        pytest.fail("cfn-lint is not installed; it checks the SAM template (uv add --dev cfn-lint)")
    return found


def test_sam_template_passes_cfn_lint(tmp_path: Path) -> None:
    cfn_lint = _cfn_lint()
    good = tmp_path / "template.yaml"
    good.write_text(render(template(all_functions())))
    result = subprocess.run(
        [cfn_lint, "--include-checks", "I", "--", str(good)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
    # The check is not vacuous: a function with 1 MB of memory is refused.
    broken = template(all_functions())
    broken["Resources"]["GetMe"]["Properties"]["MemorySize"] = 1
    bad = tmp_path / "broken.yaml"
    bad.write_text(render(broken))
    result = subprocess.run([cfn_lint, "--", str(bad)], capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert "E3034" in result.stdout, result.stdout
