"""Every operation in one ASGI process, with the OpenAPI document and its docs UI (dev, compose, e2e)."""

from __future__ import annotations

from pathlib import Path

import swagger_ui
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from functions import openapi, registry
from shared.http import build_app

SWAGGER_STATIC = Path(swagger_ui.__file__).parent / "static"

DOC_PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Chorus API</title>
  <link rel="stylesheet" href="/doc/static/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/doc/static/swagger-ui-bundle.js"></script>
  <script>
    window.ui = SwaggerUIBundle({url: "/openapi.json", dom_id: "#swagger-ui", deepLinking: true});
  </script>
</body>
</html>
"""


def create_app() -> Starlette:
    """The gateway app: all registered functions plus `/openapi.json` and `/doc`."""
    functions = registry.all_functions()
    document = openapi.build(functions)

    async def openapi_json(request: Request) -> Response:
        return JSONResponse(document)

    async def doc(request: Request) -> Response:
        return HTMLResponse(DOC_PAGE)

    return build_app(
        functions,
        extra_routes=[
            Route("/openapi.json", openapi_json, methods=["GET"]),
            Route("/doc", doc, methods=["GET"]),
            Mount("/doc/static", StaticFiles(directory=SWAGGER_STATIC), name="doc-static"),
        ],
    )
