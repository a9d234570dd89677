"""The OpenAPI 3.1 document, built from the function registry and nothing else."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, Literal

from pydantic import BaseModel, ValidationError
from pydantic.json_schema import models_json_schema

from shared.http import PROBLEM, Access, Function

_PARAM = re.compile(r"\{(\w+)(?::(\w+))?\}")
_FORMATS = {"uuid": {"type": "string", "format": "uuid"}, "int": {"type": "integer"}}
_DESCRIPTIONS = {
    200: "OK",
    201: "Created",
    204: "Done; no content",
    400: "Malformed request (for example, the body is not JSON)",
    401: "Missing, malformed, expired or foreign ID token",
    403: "Signed in, but your role does not allow this",
    404: "No such resource, or it is not in a household you belong to",
    405: "Method not allowed on this path",
    409: "Conflicts with the current state",
    410: "No longer usable (for example, an expired or revoked invite)",
    413: "Request body too large",
    415: "The body must be application/json",
    422: "The input is not valid; `errors` lists each problem",
    429: "Too many attempts; wait for Retry-After seconds",
    503: "A dependency is down; retry after Retry-After seconds",
}

PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "RFC 9457 problem details",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string", "description": "`/problems/<code>`, a stable error code"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "request_id": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "loc": {"type": "array", "items": {"type": ["string", "integer"]}},
                    "message": {"type": "string"},
                    "type": {"type": "string"},
                },
            },
        },
    },
}


def openapi_path(path: str) -> str:
    """`/api/households/{household_id:uuid}` → `/api/households/{household_id}`."""
    return _PARAM.sub(r"{\1}", path)


def build(functions: Sequence[Function], *, version: str = "0.1.0") -> dict[str, Any]:
    """The whole document for these functions."""
    models: list[tuple[type[BaseModel], Literal["validation", "serialization"]]] = []
    for fn in functions:
        if fn.request:
            models.append((fn.request, "validation"))
        if fn.response:
            models.append((fn.response, "serialization"))
    refs, defs = models_json_schema(models, ref_template="#/components/schemas/{model}")
    schemas = {**defs.get("$defs", {}), "Problem": PROBLEM_SCHEMA}

    paths: dict[str, dict[str, Any]] = {}
    for fn in functions:
        operation: dict[str, Any] = {
            "operationId": fn.name,
            "summary": fn.summary,
            "tags": [fn.tag],
            "x-access": fn.access.value,
            "parameters": _parameters(fn),
            "responses": _responses(fn, refs),
        }
        if fn.access is not Access.PUBLIC:
            operation["security"] = [{"firebase": []}]
        if fn.request:
            operation["requestBody"] = {
                "required": _body_required(fn.request),
                "content": {"application/json": {"schema": refs[(fn.request, "validation")]}},
            }
        paths.setdefault(openapi_path(fn.path), {})[fn.method.lower()] = operation

    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Chorus API",
            "version": version,
            "description": "Household chores, shared fairly. Every operation is its own function.",
        },
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "firebase": {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "JWT",
                    "description": "A Firebase ID token",
                }
            },
        },
    }


def _body_required(model: type[BaseModel]) -> bool:
    """The runtime reads a missing body as `{}`, so a body may be left out exactly when `{}` is valid
    (all fields have defaults); a oneOf of objects lists no top-level `required` but still needs one."""
    try:
        model.model_validate({})
    except ValidationError:
        return True
    return False


def _parameters(fn: Function) -> list[dict[str, Any]]:
    params = [
        {"name": name, "in": "path", "required": True, "schema": _FORMATS.get(kind or "", {"type": "string"})}
        for name, kind in _PARAM.findall(fn.path)
    ]
    if fn.idempotent:
        params.append(
            {
                "name": "Idempotency-Key",
                "in": "header",
                "required": False,
                "description": "Retries with the same key get the first answer again",
                "schema": {"type": "string", "minLength": 1, "maxLength": 200},
            }
        )
    if fn.query:
        schema = fn.query.model_json_schema()
        required = set(schema.get("required", []))
        for name, prop in schema.get("properties", {}).items():
            params.append({"name": name, "in": "query", "required": name in required, "schema": prop})
    return params


def _responses(fn: Function, refs: dict[Any, Any]) -> dict[str, Any]:
    responses: dict[str, Any] = {}
    for status in fn.statuses:
        entry: dict[str, Any] = {"description": _DESCRIPTIONS.get(status, "See the problem details")}
        if status == fn.status_code:
            if fn.response:
                entry["content"] = {"application/json": {"schema": refs[(fn.response, "serialization")]}}
            elif fn.media_type != "application/json":
                entry["content"] = {fn.media_type: {"schema": {"type": "string"}}}
        else:
            entry["content"] = {PROBLEM: {"schema": {"$ref": "#/components/schemas/Problem"}}}
        responses[str(status)] = entry
    return responses
