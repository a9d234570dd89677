"""`chorus dev`, what `make run` starts: the whole system on embedded services, the URL printed,
and Ctrl-C stopping everything with a clean exit."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from functions.devservices import Services
from tests.plugin import _free_port
from tests.utils import assert_problem


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.TransportError:
        return False


def test_chorus_dev_serves_the_system_and_ctrl_c_stops_it_cleanly(services: Services, tmp_path: Path) -> None:
    port = _free_port()
    log = tmp_path / "dev.log"
    chorus = str(Path(sys.executable).parent / "chorus")
    # Not the test session's services: its own embedded ones, as on a fresh machine.
    environment = {
        name: value for name, value in os.environ.items() if name not in {*services.env(), "PUBLIC_URL"}
    }
    with log.open("wb") as output:
        process = subprocess.Popen(
            [chorus, "dev", "--port", str(port), "--data", str(tmp_path)],
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 120
        while f"Chorus is running at http://localhost:{port}" not in log.read_text(errors="replace"):
            assert process.poll() is None, log.read_text()[-3000:]
            assert time.monotonic() < deadline, f"no URL in 120 s: {log.read_text()[-3000:]}"
            time.sleep(0.2)
        base = f"http://127.0.0.1:{port}"
        while not _answers(f"{base}/healthz"):  # the URL is printed just before the server starts
            assert process.poll() is None, log.read_text()[-3000:]
            assert time.monotonic() < deadline, f"no answer in 120 s: {log.read_text()[-3000:]}"
            time.sleep(0.2)
        assert httpx.get(f"{base}/", timeout=10).status_code == 200
        assert_problem(httpx.post(f"{base}/api/households", json={"name": "x"}, timeout=10), 401)
        process.send_signal(signal.SIGINT)  # what Ctrl-C sends
        assert process.wait(30) == 0, log.read_text()[-3000:]
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    text = log.read_text()
    for service in ("redis", "postgres", "firebase auth emulator"):
        assert f"{service}: stopped" in text, text[-3000:]
    assert "Aborted" not in text
