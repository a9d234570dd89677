# One backend image for every Chorus process; the argument picks what runs:
#   chorus gateway                  all operations in one process (default; $PORT, else 8000)
#   chorus serve <function>         one API operation, as a Knative Service runs it ($PORT, else 8080)
#   chorus migrate upgrade          Alembic migrations (the compose one-shot, the k8s Job)
ARG PYTHON_IMAGE=python:3.11-slim

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
# every code change. Only [project].dependencies: no dev or embedded group in an image.
COPY pyproject.toml uv.lock ./
RUN uv sync --frozen --no-dev --no-default-groups --no-install-project

COPY README.md alembic.ini ./
COPY shared/ shared/
COPY functions/ functions/
COPY migrations/ migrations/
# Installed editable on purpose: `chorus migrate` finds alembic.ini and migrations/ next to the
# `functions` package, so the code has to stay in /app rather than move into site-packages.
# uv compiles the dependencies; compile Chorus itself too (cold start is a product feature).
# unchecked-hash: the image never changes, so Python need not compare sources with the .pyc files.
RUN uv sync --frozen --no-dev --no-default-groups \
    && /app/.venv/bin/python -m compileall -q --invalidation-mode unchecked-hash shared functions migrations


FROM ${PYTHON_IMAGE} AS runtime
# Production unless told otherwise: the settings then refuse the emulator, demo projects and
# default passwords. docker-compose.yml sets ENVIRONMENT=development for the local stack.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    ENVIRONMENT=production \
    PATH=/app/.venv/bin:$PATH
# A fixed numeric id, so Kubernetes' runAsNonRoot can check it.
RUN groupadd --system --gid 10001 chorus \
    && useradd --system --uid 10001 --gid chorus --home-dir /home/chorus --create-home \
        --shell /usr/sbin/nologin chorus
WORKDIR /app
# Owned by root and read-only for the service user: the running code cannot be changed.
COPY --from=build /app /app
USER 10001:10001

# 8000: `chorus gateway`, 8080: `chorus serve` (Knative sets PORT=8080). Both honour $PORT.
EXPOSE 8000 8080
ENTRYPOINT ["chorus"]
CMD ["gateway"]
