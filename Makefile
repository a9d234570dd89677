# The commands people and CI share. `make run` starts Chorus; `make test` runs every check.
SHELL := /bin/bash
.DEFAULT_GOAL := help

UV_VERSION := 0.13.8
# A uv already on PATH is used as is; otherwise a pinned one is installed under .tools/.
UV := $(or $(shell command -v uv 2>/dev/null),.tools/bin/uv)
VENV := .venv/bin

WEB_SOURCES := $(shell find frontend/src frontend/public -type f 2>/dev/null) frontend/index.html \
	frontend/vite.config.ts frontend/tsconfig.json frontend/tsconfig.app.json

.PHONY: help install run test check lint typecheck web-check pytest format openapi manifests bench migrate clean debian-tools

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

# `npm install`, not `npm ci`: the lock file pins every version, but the registry this project is
# built against does not serve Tailwind's native binaries for other platforms (macOS, Windows,
# wasm), so they are missing from the lock file, and `npm ci` refuses a lock file that misses an
# optional dependency. `npm install` skips them and leaves the lock file as it is.
frontend/node_modules/.installed: frontend/package.json frontend/package-lock.json
	@node -e 'const [a, b] = process.versions.node.split(".").map(Number); if (a * 100 + b < 2019) { console.error("Node.js 20.19 or newer is needed, found " + process.version); process.exit(1); }'
	npm --prefix frontend install --no-audit --no-fund --loglevel=error
	@touch $@

frontend/dist/index.html: frontend/node_modules/.installed $(WEB_SOURCES)
	npm --prefix frontend run build

# Debian packages the tests use, installed when their command is missing: chromium (the browser
# tests; Playwright cannot download its own browser here), docker-compose (checks
# docker-compose.yml), prometheus (its promtool checks the alert rules) and pgbouncer (functions
# are tested behind it in transaction mode). kubectl (with kustomize) is expected on the machine;
# the manifest tests say so when it is missing.
DEBIAN_TOOLS := chromium=chromium docker-compose=docker-compose promtool=prometheus pgbouncer=pgbouncer

debian-tools: ## Install the Debian packages the tests use, when missing
	@missing=""; for pair in $(DEBIAN_TOOLS); do \
		PATH="$$PATH:/usr/sbin" command -v $${pair%%=*} >/dev/null || missing="$$missing $${pair##*=}"; done; \
	if [ -n "$$missing" ]; then \
		SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
		echo "installing from Debian:$$missing"; \
		$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq --no-install-recommends $$missing; fi

install: .venv/.synced node_modules/.installed frontend/node_modules/.installed ## Install Python and npm dependencies

run: install frontend/dist/index.html ## Start Chorus on embedded PostgreSQL, Redis and the Auth emulator; prints the URL
	$(VENV)/chorus dev

test: install check web-check pytest ## Run every check and every test (CI runs this)

check: lint typecheck ## Static checks only (Python)

web-check: frontend/node_modules/.installed ## The web app: API client drift, tsc, eslint, Vitest
	npm --prefix frontend run check

lint: install ## ruff (lint + format check)
	$(VENV)/ruff check .
	$(VENV)/ruff format --check .

typecheck: install ## mypy --strict
	$(VENV)/mypy

pytest: install frontend/dist/index.html debian-tools ## The test suite (real PostgreSQL, Redis, Auth emulator, Chromium)
	$(VENV)/pytest

format: install ## Rewrite files with ruff's fixes and formatting
	$(VENV)/ruff check --fix .
	$(VENV)/ruff format .

openapi: install ## Regenerate openapi.json and the web app's API types from the function registry
	$(VENV)/chorus openapi
	npm --prefix frontend run api

# The benchmark baselines (FastAPI, python-socketio) and profilers live in their own group.
bench: install ## Run every benchmark (Chorus against its baselines); writes bench/results.md
	@command -v wrk >/dev/null || { SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
		$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq --no-install-recommends wrk; }
	$(UV) sync --frozen --compile-bytecode --group bench
	$(VENV)/python bench/run.py

manifests: install ## Regenerate the Knative Services, ingress routes, jobs and SAM template from the registry
	$(VENV)/chorus manifests

clean: ## Remove installed environments and local data
	rm -rf .venv .tools node_modules frontend/node_modules frontend/dist .chorus .pytest_cache .mypy_cache .ruff_cache test-results
