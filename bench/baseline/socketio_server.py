"""The baseline for the relay benchmarks: python-socketio with its Redis manager, served by uvicorn.

    .venv/bin/python bench/baseline/socketio_server.py --port 8002

What a team would build instead of `chorus relay` with the stack people usually pick for this:
`socketio.AsyncServer` (ASGI) whose `AsyncRedisManager` fans every emit out through Redis, one room
per household. It reads DATABASE_URL, REDIS_URL, FIREBASE_AUTH_EMULATOR_HOST and FIREBASE_PROJECT_ID
like Chorus does, and shares Chorus's data layer (shared.db, shared.models) so only the real-time
layer differs:

* connect: the client sends `{"token": "<Firebase ID token>"}` as the Socket.IO auth payload; the
  server verifies it with firebase-admin, looks the user and their households up in PostgreSQL,
  and enters the household rooms (`str(household_id)`). Refused: a CONNECT_ERROR, as Socket.IO does.
* fan-out: a writer commits its change, then emits with a write-only manager on the same Redis:
  `await AsyncRedisManager(url, write_only=True).emit("event", message, room=household_id)`.
  Every server process hears it on the `socketio` channel and sends it to the room's clients.
* heartbeat: engine.io pings every 20 s (as the Chorus relay does) and drops clients that do not
  answer within 20 s.

Plus `/readyz` (200 once serving) for the benchmark to wait on. Nothing here is used by Chorus.
"""

from __future__ import annotations

import argparse
import logging
import os
import resource
from typing import Any

import firebase_admin
import socketio  # type: ignore[import-untyped]
import uvicorn
from firebase_admin import auth as firebase_auth
from google.auth.credentials import AnonymousCredentials
from sqlalchemy import select
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from shared import db
from shared.models import Membership, User

MAX_MESSAGE = 16384
PING_INTERVAL = 20
PING_TIMEOUT = 20


class _NoCredentials(firebase_admin.credentials.Base):  # type: ignore[misc]
    def get_credential(self) -> AnonymousCredentials:
        return AnonymousCredentials()  # type: ignore[no-untyped-call]


def create_app(redis_url: str, project_id: str) -> Any:
    firebase = firebase_admin.initialize_app(
        _NoCredentials(), options={"projectId": project_id}, name="socketio-baseline"
    )
    sio = socketio.AsyncServer(
        async_mode="asgi",
        client_manager=socketio.AsyncRedisManager(redis_url),
        cors_allowed_origins=[],
        ping_interval=PING_INTERVAL,
        ping_timeout=PING_TIMEOUT,
        max_http_buffer_size=MAX_MESSAGE,
        logger=False,
        engineio_logger=False,
    )

    @sio.event  # type: ignore[untyped-decorator]
    async def connect(sid: str, environ: dict[str, Any], auth: Any) -> None:
        token = auth.get("token") if isinstance(auth, dict) else None
        if not isinstance(token, str) or not token or len(token) > 8192:
            raise socketio.exceptions.ConnectionRefusedError("send a Firebase ID token")
        try:
            claims = firebase_auth.verify_id_token(token, app=firebase)
        except (firebase_auth.InvalidIdTokenError, ValueError) as error:
            raise socketio.exceptions.ConnectionRefusedError(str(error)[:120]) from None
        async with db.session_scope() as session:
            user_id = await session.scalar(select(User.id).where(User.firebase_uid == claims["uid"]))
            if user_id is None:
                raise socketio.exceptions.ConnectionRefusedError("no account")
            households = list(
                await session.scalars(select(Membership.household_id).where(Membership.user_id == user_id))
            )
        for household in households:
            await sio.enter_room(sid, str(household))

    async def readyz(request: Request) -> PlainTextResponse:
        return PlainTextResponse("ok")

    other = Starlette(routes=[Route("/readyz", readyz)])
    return socketio.ASGIApp(sio, other_asgi_app=other)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8002)
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    logging.basicConfig(level=logging.WARNING)
    app = create_app(
        os.environ.get("REDIS_URL", "redis://localhost:6379/0"),
        os.environ.get("FIREBASE_PROJECT_ID", "demo-chorus"),
    )
    uvicorn.run(app, host=args.host, port=args.port, log_config=None, access_log=False)


if __name__ == "__main__":
    main()
