"""The token check as production runs it: CPU per request for an RS256-signed ID token.

    .venv/bin/python bench/auth.py [--requests 2000] [--quick] [--json PATH]

The HTTP benchmarks use the Auth emulator, whose tokens are unsigned, so they never take the path
production takes: fetch Google's keys (cached per their Cache-Control), check the signature. Here a
local server publishes a key's certificate as Google does (tests/signing.py) and firebase-admin is
pointed at it; each request is one `await` in an event loop, as a function serves it:

* baseline: firebase-admin's `verify_id_token` in a worker thread for every request, which is what
  a FastAPI app does with it (a sync dependency) and what Chorus did before it remembered tokens;
* chorus: `shared.auth.check_token`, which remembers the claims of tokens that passed (the most
  recent REMEMBERED_TOKENS) and checks their times again on every use.

A browser sends the same token for up to an hour, so the headline is "same token"; "new token"
(a token seen for the first time, every request) is what a remembered token saves nothing on.
CPU is this process's (all threads), from time.process_time, over `--requests` checks; the
machine's other core runs the key server's thread at most once.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import Result, Row  # noqa: E402


def cpu_per_call(check: Callable[[int], Awaitable[object]], calls: int, rounds: int = 3) -> float:
    """Median over rounds of CPU seconds per call."""

    async def run() -> list[float]:
        results = []
        for _ in range(rounds):
            started = time.process_time()
            for n in range(calls):
                await check(n)
            results.append((time.process_time() - started) / calls)
        return results

    return statistics.median(asyncio.run(run()))


def share_getting_keys(check: Callable[[], object], calls: int) -> float:
    """The share of `check`'s time, under cProfile, inside requests' Session.request."""
    import cProfile
    import pstats

    profile = cProfile.Profile()
    profile.enable()
    for _ in range(calls):
        check()
    profile.disable()
    stats = pstats.Stats(profile).stats  # type: ignore[attr-defined]
    total = sum(
        entry[3] for (path, _, name), entry in stats.items() if name == "<lambda>" and path == __file__
    )
    fetching = sum(
        entry[3]
        for (path, _, name), entry in stats.items()
        if path.endswith("requests/sessions.py") and name == "request"
    )
    return float(fetching / total) if total else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--quick", action="store_true", help="200 requests")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    calls = 200 if args.quick else args.requests

    import anyio.to_thread
    import firebase_admin._token_gen as token_gen
    from firebase_admin import auth as firebase_auth

    from shared import auth
    from shared.settings import Settings
    from tests.signing import KeyServer

    os.environ.pop(auth.EMULATOR_ENV, None)
    with KeyServer(f"chorus-bench-{uuid.uuid4().hex[:8]}") as keys:
        token_gen.ID_TOKEN_CERT_URI = keys.url
        settings = Settings(firebase_project_id=keys.project, firebase_auth_emulator_host="")
        app = auth._firebase_app(keys.project)
        token = keys.token("bench-user")
        fresh = [keys.token(f"bench-user-{n}") for n in range(calls)]

        async def firebase_in_thread(token: str) -> object:
            return await anyio.to_thread.run_sync(
                lambda: firebase_auth.verify_id_token(
                    token, app=app, clock_skew_seconds=settings.token_clock_skew_seconds
                )
            )

        async def baseline_same(_: int) -> object:
            return await firebase_in_thread(token)

        async def chorus_same(_: int) -> object:
            return await auth.check_token(token, settings)

        async def baseline_new(n: int) -> object:
            return await firebase_in_thread(fresh[n])

        async def chorus_new(n: int) -> object:
            auth._remembered.clear()  # every token is new to it
            return await auth.check_token(fresh[n], settings)

        async def direct(_: int) -> object:  # the baseline without its worker thread
            return firebase_auth.verify_id_token(token, app=app)

        asyncio.run(chorus_same(0))  # keys fetched and cached, the app's verifier built
        same = {"chorus": cpu_per_call(chorus_same, calls), "baseline": cpu_per_call(baseline_same, calls)}
        new = {"chorus": cpu_per_call(chorus_new, calls), "baseline": cpu_per_call(baseline_new, calls)}
        unthreaded = cpu_per_call(direct, calls)
        fetching = share_getting_keys(lambda: firebase_auth.verify_id_token(token, app=app), calls)
        fetches = keys.fetches

    result = Result("auth")
    result.rows += [
        Row(
            "production token check, same token every request: CPU per request (lower is better)",
            round(same["chorus"] * 1e6, 1),
            round(same["baseline"] * 1e6, 1),
            "µs",
        ),
        Row(
            "production token check, a new token every request: CPU per request (lower is better)",
            round(new["chorus"] * 1e6, 1),
            round(new["baseline"] * 1e6, 1),
            "µs",
        ),
    ]
    result.notes += [
        f"{calls} checks per round, median of 3 rounds; RS256 tokens of a 2048-bit key; the key "
        f"endpoint was fetched {fetches} time(s) in all (Cache-Control max-age honoured by firebase-admin).",
        "Baseline: firebase_admin.auth.verify_id_token in a worker thread per request. Chorus: "
        "shared.auth.check_token, which remembers tokens that passed (REMEMBERED_TOKENS) and checks "
        "their times again on every use; a token it has not seen goes the baseline's way.",
        f"firebase-admin called directly, without the worker thread: {unthreaded * 1e6:.0f} µs per "
        f"check. Under cProfile, {fetching:.0%} of it is getting the (cached) keys: requests' "
        "Session.request through CacheControl, called on every check.",
    ]
    print(result.table())
    for note in result.notes:
        print(f"- {note}")
    result.write(args.json)


if __name__ == "__main__":
    main()
