"""Functions behind a real PgBouncer in transaction mode, with the settings the manifests use.

Transaction pooling hands each transaction whatever server connection is free, so anything a
client leaves on a connection (a prepared statement, a session setting) can meet another client.
The manifests run functions with `DB_STATEMENT_CACHE_SIZE=0` (which also gives SQLAlchemy's
prepared statements unique names, `shared/db.py`) through PgBouncer with fewer server connections
than clients; this runs the same against Debian's pgbouncer.
"""

from __future__ import annotations

import asyncio
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import make_url

from functions.devservices import Services
from tests.plugin import MakeUser, ServedFunction, _free_port

SERVER_CONNECTIONS = 2


@pytest.fixture(scope="module")
def pgbouncer(services: Services, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A PgBouncer in transaction mode in front of the test database; yields its DATABASE_URL."""
    executable = shutil.which("pgbouncer") or shutil.which("pgbouncer", path="/usr/sbin")
    if executable is None:
        pytest.fail("pgbouncer is not installed: run `make debian-tools` (Debian's pgbouncer package)")
    url = make_url(services.database_url)
    socket_dir = url.query.get("host")
    if not isinstance(socket_dir, str):
        pytest.fail(f"expected the harness's PostgreSQL on a Unix socket, got {services.database_url}")
    [socket] = [found for found in Path(socket_dir).glob(".s.PGSQL.*") if not found.name.endswith(".lock")]
    pg_port = socket.name.rsplit(".", 1)[1]
    # PgBouncer refuses to run as root: then it runs as the PostgreSQL socket's owner (pgserver
    # runs postgres as its own user), which can reach the socket and this directory.
    workdir = Path(tempfile.mkdtemp(prefix="chorus-pgbouncer-"))
    as_user: list[str] = []
    if os.geteuid() == 0:
        owner = os.stat(socket_dir)
        os.chown(workdir, owner.st_uid, owner.st_gid)
        as_user = ["-u", pwd.getpwuid(owner.st_uid).pw_name]
    port = _free_port()
    (workdir / "userlist.txt").write_text(f'"{url.username}" ""\n')
    (workdir / "pgbouncer.ini").write_text(
        f"""[databases]
{url.database} = host={socket_dir} port={pg_port} dbname={url.database} user={url.username}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir =
auth_type = trust
auth_file = {workdir}/userlist.txt
pool_mode = transaction
default_pool_size = {SERVER_CONNECTIONS}
max_client_conn = 200
ignore_startup_parameters = extra_float_digits,statement_timeout
logfile = {workdir}/pgbouncer.log
pidfile = {workdir}/pgbouncer.pid
"""
    )
    process = subprocess.Popen(
        [executable, *as_user, str(workdir / "pgbouncer.ini")], stderr=subprocess.STDOUT
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not (workdir / "pgbouncer.pid").exists():
        if process.poll() is not None:
            pytest.fail(f"pgbouncer exited: {(workdir / 'pgbouncer.log').read_text()[-2000:]}")
        time.sleep(0.05)
    yield f"postgresql+asyncpg://{url.username}@127.0.0.1:{port}/{url.database}"
    process.terminate()
    process.wait(10)
    shutil.rmtree(workdir, ignore_errors=True)


async def test_pgbouncer_functions_in_transaction_mode_serve_concurrent_requests(
    pgbouncer: str, serve_function: ServedFunction, make_user: MakeUser
) -> None:
    env = {"DATABASE_URL": pgbouncer, "DB_STATEMENT_CACHE_SIZE": "0", "DB_POOL_SIZE": "4"}
    writers = [serve_function("households.create_household", env=env) for _ in range(2)]
    reader = serve_function("households.list_households", env=env)
    users = [make_user(f"bouncer-{n}") for n in range(4)]

    async with httpx.AsyncClient(timeout=30) as http:

        async def create(n: int) -> int:
            user = users[n % len(users)]
            served = writers[n % len(writers)]
            response = await http.post(
                f"{served.url}/api/households", headers=user.headers(), json={"name": f"Bounced {n}"}
            )
            return response.status_code

        async def read(n: int) -> int:
            response = await http.get(f"{reader.url}/api/households", headers=users[n % len(users)].headers())
            return response.status_code

        # 24 clients' connections over 2 server connections, prepared statements and all.
        statuses = await asyncio.gather(*(create(n) for n in range(60)), *(read(n) for n in range(60)))
        assert statuses.count(201) == 60, statuses
        assert statuses.count(200) == 60, statuses
        for user in users:
            listed = await http.get(f"{reader.url}/api/households", headers=user.headers())
            assert listed.status_code == 200
            assert len(listed.json()["data"]) == 15
