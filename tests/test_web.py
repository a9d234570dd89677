"""The one-address app (`chorus web`): path routing like the ingress, the SPA's files and fallback,
and the sign-in settings the SPA reads first (`get_client_config`)."""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from websockets.asyncio.client import connect

from functions.web import create_app
from tests.plugin import MakeUser, ServedProcess


@pytest.fixture
def dist(tmp_path: Path) -> Path:
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text("<!doctype html><title>Chorus</title><div id=root></div>")
    (tmp_path / "assets" / "index-abc123.js").write_text("console.log('chorus')")
    (tmp_path / "favicon.svg").write_text("<svg/>")
    return tmp_path


@pytest.fixture
async def spa(dist: Path, migrated: None) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(dist))
    async with httpx.AsyncClient(transport=transport, base_url="http://chorus.test") as http:
        yield http


async def test_web_serves_the_spa_and_its_client_routes(spa: httpx.AsyncClient) -> None:
    for path in ("/", "/sign-in", "/join/ABCDE-12345", "/h/5d0c0a49-0f0e-4a5e-9b7a-1c2d3e4f5a6b/today"):
        response = await spa.get(path)
        assert response.status_code == 200, path
        assert response.headers["content-type"].startswith("text/html")
        assert "<div id=root>" in response.text
        assert response.headers["cache-control"] == "no-cache"
        assert response.headers["x-content-type-options"] == "nosniff"


async def test_web_answers_404_for_a_missing_asset(spa: httpx.AsyncClient) -> None:
    response = await spa.get("/assets/index-old999.js")
    assert response.status_code == 404
    assert "<div id=root>" not in response.text


async def test_web_forbids_framing(spa: httpx.AsyncClient) -> None:
    response = await spa.get("/")
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["content-security-policy"] == "frame-ancestors 'none'"


async def test_web_sends_bare_api_paths_to_the_functions(spa: httpx.AsyncClient) -> None:
    for path in ("/api", "/ws"):
        response = await spa.get(path)
        assert response.status_code == 404, path
        assert response.headers["content-type"] == "application/problem+json"


async def test_web_serves_hashed_assets_as_immutable(spa: httpx.AsyncClient) -> None:
    response = await spa.get("/assets/index-abc123.js")
    assert response.status_code == 200
    assert response.text == "console.log('chorus')"
    assert "immutable" in response.headers["cache-control"]
    assert (await spa.get("/favicon.svg")).headers["cache-control"] == "no-cache"


async def test_web_does_not_serve_files_outside_the_build(spa: httpx.AsyncClient) -> None:
    # A raw path, so the client does not normalise the dots away before sending.
    response = await spa.get(httpx.URL("http://chorus.test/assets/%2e%2e/%2e%2e/%2e%2e/etc/passwd"))
    assert "root:" not in response.text


async def test_web_refuses_writes_to_the_spa(spa: httpx.AsyncClient) -> None:
    response = await spa.post("/sign-in", content=b"x")
    assert response.status_code == 405


async def test_web_sends_api_paths_to_the_functions(spa: httpx.AsyncClient, make_user: MakeUser) -> None:
    user = make_user("web")
    me = await spa.get("/api/me", headers=user.headers())
    assert me.status_code == 200, me.text
    assert me.json()["email"] == user.email
    unknown = await spa.get("/api/no-such-operation")
    assert unknown.status_code == 404
    assert unknown.headers["content-type"] == "application/problem+json"
    assert (await spa.get("/openapi.json")).json()["info"]["title"]
    assert (await spa.get("/healthz")).status_code == 200


async def test_web_sends_websockets_to_the_relay(web: ServedProcess, make_user: MakeUser) -> None:
    user = make_user("live")
    async with httpx.AsyncClient(base_url=web.url) as http:
        assert (await http.get("/api/me", headers=user.headers())).status_code == 200
    async with connect(web.url.replace("http", "ws") + "/ws") as socket:
        await socket.send(json.dumps({"type": "auth", "token": user.id_token}))
        assert json.loads(await socket.recv()) == {"type": "ready", "households": []}


async def test_web_explains_a_missing_build(tmp_path: Path, migrated: None) -> None:
    transport = httpx.ASGITransport(app=create_app(tmp_path / "missing"))
    async with httpx.AsyncClient(transport=transport, base_url="http://chorus.test") as http:
        response = await http.get("/")
    assert response.status_code == 503
    assert "make run" in response.text


async def test_get_client_config_gives_the_emulator_outside_production(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/client-config")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["firebase_project_id"] == os.environ["FIREBASE_PROJECT_ID"]
    assert body["auth_emulator_url"] == f"http://{os.environ['FIREBASE_AUTH_EMULATOR_HOST']}"
    assert body["firebase_auth_domain"] == f"{body['firebase_project_id']}.firebaseapp.com"
    assert body["google_sign_in"] is False


async def test_get_client_config_needs_no_token(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/client-config", headers={"Authorization": "Bearer garbage"})
    assert response.status_code == 200
