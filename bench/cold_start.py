"""Cold start of one function: process start to the first 200 on an authenticated database read.

    .venv/bin/python bench/cold_start.py [--runs 10] [--function households.get_household]

`--chorus /path/to/venv/bin/chorus` times another install, e.g. one made like the image's with
`UV_PROJECT_ENVIRONMENT=/tmp/image-venv uv sync --frozen --no-dev --no-default-groups`.

Starts embedded services (or uses DATABASE_URL / FIREBASE_AUTH_EMULATOR_HOST when set), makes a
user and a household, then starts `chorus serve <function>` again and again and times each one
from `Popen` to the first 200. Also prints the slowest imports of the function module
(`python -X importtime`), summed per top-level package.
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx

from functions.devservices import running_services, sign_up

ROOT = Path(__file__).resolve().parents[1]
CHORUS = Path(sys.executable).parent / "chorus"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def one_cold_start(chorus: Path, function: str, path: str, token: str) -> float:
    port = free_port()
    url = f"http://127.0.0.1:{port}{path}"
    headers = {"Authorization": f"Bearer {token}"}
    started = time.perf_counter()
    process = subprocess.Popen(
        [str(chorus), "serve", function, "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        with httpx.Client(timeout=5) as client:
            while True:
                try:
                    response = client.get(url, headers=headers)
                except httpx.TransportError:
                    time.sleep(0.002)
                    continue
                if response.status_code != 200:
                    raise RuntimeError(f"{response.status_code}: {response.text}")
                return time.perf_counter() - started
    finally:
        process.terminate()
        process.wait(10)


def import_profile(python: Path, module: str, top: int) -> tuple[float, list[tuple[float, str]]]:
    """Total import time of `module`, and the self time summed per top-level package."""
    result = subprocess.run(
        [str(python), "-X", "importtime", "-c", f"import {module}"],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    per_package: dict[str, float] = {}
    total = 0.0
    for line in result.stderr.splitlines():
        match = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|\s*(\S+)", line)
        if not match:
            continue
        name = match.group(3)
        package = name.split(".")[0]
        per_package[package] = per_package.get(package, 0.0) + int(match.group(1)) / 1e6
        if name == module:
            total = int(match.group(2)) / 1e6
    ranked = sorted(((seconds, name) for name, seconds in per_package.items()), reverse=True)
    return total, ranked[:top]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--function", default="households.get_household")
    parser.add_argument(
        "--chorus",
        type=Path,
        default=CHORUS,
        help="the chorus executable to time, e.g. from a venv with only the image's dependencies",
    )
    args = parser.parse_args()

    with running_services(Path(tempfile.mkdtemp(prefix="chorus-bench-")), log=lambda _: None) as services:
        os.environ.update(services.env())
        subprocess.run([str(CHORUS), "migrate", "upgrade"], check=True, capture_output=True, cwd=ROOT)
        user = sign_up(
            services.firebase_auth_emulator_host,
            f"bench-{uuid.uuid4().hex}@example.com",
            "bench-password",
            project_id=services.firebase_project_id,
        )
        token = user["idToken"]
        with httpx.Client() as client:
            port = free_port()
            gateway = subprocess.Popen(
                [str(CHORUS), "gateway", "--host", "127.0.0.1", "--port", str(port)],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            try:
                for _ in range(200):
                    try:
                        household = client.post(
                            f"http://127.0.0.1:{port}/api/households",
                            headers={"Authorization": f"Bearer {token}"},
                            json={"name": "Bench", "timezone": "UTC"},
                        ).json()
                        break
                    except httpx.TransportError:
                        time.sleep(0.05)
            finally:
                gateway.terminate()
                gateway.wait(10)
        path = f"/api/households/{household['id']}"
        one_cold_start(args.chorus, args.function, path, token)  # warm the OS file cache once
        times = [one_cold_start(args.chorus, args.function, path, token) for _ in range(args.runs)]

    module = f"functions.{args.function}"
    print(f"cold start of {args.function} ({args.runs} runs): process start to first authenticated 200")
    print(
        f"  median {statistics.median(times) * 1000:.0f} ms, min {min(times) * 1000:.0f} ms, "
        f"max {max(times) * 1000:.0f} ms"
    )
    total, ranked = import_profile(args.chorus.parent / "python", module, 12)
    print(f"importing {module} takes {total * 1000:.0f} ms; self time by top-level package:")
    for seconds, name in ranked:
        print(f"  {seconds * 1000:7.1f} ms  {name}")


if __name__ == "__main__":
    main()
