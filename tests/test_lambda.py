"""Mangum handlers answer API Gateway v2 events against the real database."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from functions.households import create_household, get_household
from tests.plugin import MakeUser


def _event(method: str, path: str, token: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    now = time.time()
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": "",
        "cookies": [],
        "headers": {
            "authorization": f"Bearer {token}",
            "content-type": "application/json",
            "host": "abc123.execute-api.eu-west-1.amazonaws.com",
            "x-forwarded-proto": "https",
            "x-forwarded-port": "443",
        },
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
            "routeKey": "$default",
            "stage": "$default",
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "timeEpoch": int(now * 1000),
        },
        "body": json.dumps(body) if body is not None else None,
        "isBase64Encoded": False,
    }


class _Context:
    function_name = "chorus-test"
    aws_request_id = "lambda-req-1"


def test_lambda_create_then_get_household(make_user: MakeUser) -> None:
    user = make_user("lambda")
    created = create_household.handler(
        _event("POST", "/api/households", user.id_token, {"name": "Lambda Home", "timezone": "UTC"}),
        _Context(),
    )
    assert created["statusCode"] == 201, created
    household = json.loads(created["body"])
    assert household["name"] == "Lambda Home"

    fetched = get_household.handler(
        _event("GET", f"/api/households/{household['id']}", user.id_token), _Context()
    )
    assert fetched["statusCode"] == 200, fetched
    assert json.loads(fetched["body"])["id"] == household["id"]


def test_lambda_refuses_missing_token_with_problem() -> None:
    answer = get_household.handler(_event("GET", f"/api/households/{uuid.uuid4()}", ""), _Context())
    assert answer["statusCode"] == 401, answer
    assert answer["headers"]["content-type"] == "application/problem+json"
    assert json.loads(answer["body"])["type"] == "/problems/unauthorized"
