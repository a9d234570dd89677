"""JSON logs and Prometheus metrics shared by every function, the gateway and the tools."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any

from prometheus_client import Counter, Gauge, Histogram

REQUESTS = Counter(
    "chorus_http_requests_total",
    "HTTP requests answered, by function, method and status code.",
    ["function", "method", "status"],
)
LATENCY = Histogram(
    "chorus_http_request_duration_seconds",
    "Time from request start to the last response byte, by function.",
    ["function", "method"],
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
IN_FLIGHT = Gauge(
    "chorus_http_requests_in_flight",
    "Requests being handled right now, by function.",
    ["function"],
)

# Attributes every LogRecord has; anything else on a record came in through `extra=`.
_RESERVED = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime", "color_message"}
# One encoder for every line (json.dumps with `default=` would build a new one per call).
_encode = json.JSONEncoder(default=str).encode


class JsonFormatter(logging.Formatter):
    """One JSON object per line; extra= fields become top-level keys.

    Every request logs a line through here, so it is kept cheap: the time's text is made once per
    second, and the encoder once per process.
    """

    _last_second: tuple[int, str] = (-1, "")  # replaced whole, so threads never see half of it

    def _timestamp(self, created: float) -> str:
        """ISO 8601 in UTC with milliseconds, exactly as `datetime.fromtimestamp(created, UTC)
        .isoformat(timespec="milliseconds")`: microseconds rounded first, then milliseconds cut."""
        second = int(created)
        micros = round((created - second) * 1_000_000)
        if micros == 1_000_000:
            second, micros = second + 1, 0
        cached, text = self._last_second
        if second != cached:
            text = datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%dT%H:%M:%S")
            self._last_second = (second, text)
        return f"{text}.{micros // 1000:03d}+00:00"

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": self._timestamp(record.created),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        # uvicorn adds an ANSI-coloured copy of its message (color_message); the plain one is enough.
        for key, value in record.__dict__.items():
            if key not in _RESERVED and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return _encode(entry)


class _StdoutHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever sys.stdout is at the time (test runners swap and close it)."""

    def __init__(self) -> None:
        super().__init__()

    @property
    def stream(self) -> Any:
        return sys.stdout

    @stream.setter
    def stream(self, _: Any) -> None:
        pass


def configure_logging(level: str = "INFO") -> None:
    """Route the root logger to stdout as JSON lines, once per process."""
    root = logging.getLogger()
    if any(isinstance(h.formatter, JsonFormatter) for h in root.handlers):
        return
    # Every request logs a line, and the JSON above has no use for where the call came from, the
    # thread or the process: not looking them up is what Python's logging HOWTO advises ("Optimization").
    logging._srcfile = None
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    handler = _StdoutHandler()
    handler.setFormatter(JsonFormatter())
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # uvicorn's own access log would repeat ours in another format.
    logging.getLogger("uvicorn.access").disabled = True


def push_job_metrics(
    gateway: str, *, job: str, seconds: float, changed: dict[str, int], failed: bool
) -> None:
    """Push one job run's outcome to a Prometheus Pushgateway (CronJob pods live too briefly to scrape)."""
    import time

    from prometheus_client import CollectorRegistry, push_to_gateway

    registry = CollectorRegistry()
    outcome = "failure" if failed else "success"
    Gauge(
        f"chorus_job_last_{outcome}_timestamp_seconds",
        f"When the job last finished with {outcome}.",
        ["job"],
        registry=registry,
    ).labels(job).set(time.time())
    Gauge("chorus_job_duration_seconds", "How long the last run took.", ["job"], registry=registry).labels(
        job
    ).set(seconds)
    rows = Gauge(
        "chorus_job_changed_rows", "Rows the last run changed, by kind.", ["job", "kind"], registry=registry
    )
    for kind, count in changed.items():
        rows.labels(job, kind).set(count)
    push_to_gateway(gateway, job=f"chorus-job-{job}", registry=registry)
