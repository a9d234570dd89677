# The commands people and CI share. `make run` starts Chorus; `make test` runs every check.
SHELL := /bin/bash
.DEFAULT_GOAL := help

UV_VERSION := 0.13.8
# A uv already on PATH is used as is; otherwise a pinned one is installed under .tools/.
UV := $(or $(shell command -v uv 2>/dev/null),.tools/bin/uv)
VENV := .venv/bin

.PHONY: help install run test check lint typecheck pytest format openapi migrate clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

.tools/bin/uv:
	python3 -m venv .tools
	.tools/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

# Bytecode is compiled once here: some environments set PYTHONDONTWRITEBYTECODE, which would
# otherwise make every process (tests start many) compile all its imports again.
.venv/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --compile-bytecode
	@touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

install: .venv/.synced node_modules/.installed ## Install Python and npm dependencies

run: install ## Start Chorus on embedded PostgreSQL, Redis and the Auth emulator; prints the URL
	$(VENV)/chorus dev

test: install check pytest ## Run every check and every test (CI runs this)

check: lint typecheck ## Static checks only

lint: install ## ruff (lint + format check)
	$(VENV)/ruff check .
	$(VENV)/ruff format --check .

typecheck: install ## mypy --strict
	$(VENV)/mypy

pytest: install ## The test suite against real PostgreSQL, Redis and the Auth emulator
	$(VENV)/pytest

format: install ## Rewrite files with ruff's fixes and formatting
	$(VENV)/ruff check --fix .
	$(VENV)/ruff format .

openapi: install ## Regenerate openapi.json from the function registry
	$(VENV)/chorus openapi

clean: ## Remove installed environments and local data
	rm -rf .venv .tools node_modules .chorus .pytest_cache .mypy_cache .ruff_cache
