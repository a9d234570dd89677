"""The registry is the one list of operations: modules, OpenAPI, gateway and docs all follow it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette

from functions import openapi, registry
from shared.http import Function

ROOT = Path(__file__).resolve().parents[1]


def _function_modules() -> set[str]:
    """Every `functions/<area>/<name>.py` that declares an operation."""
    found = set()
    for path in (ROOT / "functions").glob("*/*.py"):
        if path.name != "__init__.py" and "\nfunction = Function(" in path.read_text():
            found.add(f"{path.parent.name}.{path.stem}")
    return found


def test_registry_lists_every_function_module() -> None:
    assert _function_modules() == set(registry.FUNCTIONS)


@pytest.mark.parametrize("entry", registry.FUNCTIONS)
def test_registry_module_exports_app_and_handler(entry: str) -> None:
    module = __import__(registry.module_path(entry), fromlist=["app", "handler", "function"])
    assert isinstance(module.function, Function)
    assert isinstance(module.app, Starlette)
    assert callable(module.handler)
    # One name per operation: module, handler and operationId agree.
    assert module.function.name == entry.rsplit(".", 1)[1]


def test_registry_names_and_routes_are_unique() -> None:
    functions = registry.all_functions()
    assert len({fn.name for fn in functions}) == len(functions)
    assert len({(fn.method, fn.path) for fn in functions}) == len(functions)


def test_importing_one_function_imports_no_other() -> None:
    code = (
        "import sys, functions.households.get_household as m;"
        "print(sorted(n for n in sys.modules if n.startswith('functions.')))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert json.loads(loaded.stdout.replace("'", '"')) == [
        "functions.households",
        "functions.households.get_household",
    ]


def test_openapi_document_is_committed_and_current() -> None:
    committed = json.loads((ROOT / "openapi.json").read_text())
    assert committed == openapi.build(registry.all_functions()), "run `make openapi` and commit openapi.json"


def test_openapi_operation_ids_are_the_function_names() -> None:
    document = openapi.build(registry.all_functions())
    ids = {op["operationId"] for path in document["paths"].values() for op in path.values()}
    assert ids == {fn.name for fn in registry.all_functions()}


async def test_gateway_serves_openapi_and_local_docs(client: httpx.AsyncClient) -> None:
    served = await client.get("/openapi.json")
    assert served.status_code == 200
    assert served.json() == openapi.build(registry.all_functions())
    page = await client.get("/doc")
    assert page.status_code == 200
    assert "/openapi.json" in page.text
    assert "http://" not in page.text
    assert "https://" not in page.text  # no CDN: every asset is served by the gateway
    for asset in ("/doc/static/swagger-ui.css", "/doc/static/swagger-ui-bundle.js"):
        response = await client.get(asset)
        assert response.status_code == 200
        assert len(response.content) > 10_000
