"""Chorus behind one address, as the ingress arranges it in a cluster: the API, the relay and the SPA.

`chorus dev` and the browser tests serve this. Paths are split the way Traefik splits them in
k3s: `/api/…`, `/doc`, `/openapi.json` and the ops routes go to the functions (here the gateway),
WebSockets on `/ws` to the relay, everything else to the built single-page app, whose client-side
routes (`/join/ABCDE-12345`, `/chores/…`) all answer with `index.html`.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.responses import FileResponse, PlainTextResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from functions import gateway, relay

ROOT = Path(__file__).resolve().parents[1]
DIST = ROOT / "frontend" / "dist"
API_PATHS = ("/api", "/ws")  # exactly; a plain HTTP GET /ws is the API's 404, not the app
API_PREFIXES = ("/api/", "/doc", "/openapi.json", "/healthz", "/readyz", "/metrics")
HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    # Nobody may frame the app (its Leave, Revoke and Delete buttons could be clickjacked).
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "frame-ancestors 'none'",
}


class SinglePageApp:
    """Files from the Vite build; any other GET is a client-side route and gets `index.html`."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.files = StaticFiles(directory=directory, check_dir=False)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        index = self.directory / "index.html"
        if not index.exists():
            response: Response = PlainTextResponse(
                "The web app is not built: run `make run` (or `npm --prefix frontend run build`).", 503
            )
        elif scope["method"] not in ("GET", "HEAD"):
            response = PlainTextResponse("Method Not Allowed", 405, headers={"Allow": "GET, HEAD"})
        else:
            try:
                response = await self.files.get_response(self.files.get_path(scope), scope)
            except HTTPException as error:
                if error.status_code != 404:
                    response = PlainTextResponse(str(error.detail), error.status_code)
                elif scope["path"].startswith("/assets/"):
                    # A missing asset is a 404, not the page: a tab open across a deploy asks for
                    # an old chunk and must fail clearly (the app then offers a reload).
                    response = PlainTextResponse("Not Found", 404)
                else:
                    response = FileResponse(index, headers={"Cache-Control": "no-cache"})
            else:
                # Vite puts a content hash in every asset name: those never change.
                if scope["path"].startswith("/assets/"):
                    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
                else:
                    response.headers["Cache-Control"] = "no-cache"
        response.headers.update(HEADERS)
        await response(scope, receive, send)


class Web:
    """Dispatches by path like the cluster's ingress; runs both apps' start-up and shutdown."""

    def __init__(self, *, api: Starlette, live: Starlette, spa: ASGIApp) -> None:
        self.api = api
        self.live = live
        self.spa = spa

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await Starlette(lifespan=self.lifespan)(scope, receive, send)
        elif scope["type"] == "websocket":
            await self.live(scope, receive, send)
        elif scope["path"] in API_PATHS or scope["path"].startswith(API_PREFIXES):
            await self.api(scope, receive, send)
        else:
            await self.spa(scope, receive, send)

    @asynccontextmanager
    async def lifespan(self, app: Starlette) -> AsyncIterator[None]:
        async with contextlib.AsyncExitStack() as stack:
            await stack.enter_async_context(self.api.router.lifespan_context(self.api))
            await stack.enter_async_context(self.live.router.lifespan_context(self.live))
            yield


def create_app(dist: Path = DIST) -> Web:
    """The API, the relay and the SPA built into `dist`, on one port."""
    return Web(api=gateway.create_app(), live=relay.create_app(), spa=SinglePageApp(dist))
