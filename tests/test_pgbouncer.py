"""Functions behind a real PgBouncer running the manifests' own pgbouncer.ini.

Transaction pooling hands each transaction whatever server connection is free, so anything a
client leaves on a connection (a prepared statement, a session setting) can meet another client.
The manifests run functions with `DB_STATEMENT_CACHE_SIZE=0` (which also gives SQLAlchemy's
prepared statements unique names, `shared/db.py`) through PgBouncer with fewer server connections
than clients; this runs the same against Debian's pgbouncer.

The PgBouncer here reads knative/base/pgbouncer.ini, every setting of it (pool_mode,
ignore_startup_parameters, connect_query as quoted there, the pool sizes and timeouts, ...), but
for the ones that must differ on this machine (`LOCAL_SETTINGS`, the database entry's address and
the pool size) and the ones the installed PgBouncer is too old to know (`NEWER_SETTINGS`), which
the test prints: with a recent enough PgBouncer the whole shipped file runs.
"""

from __future__ import annotations

import asyncio
import configparser
import io
import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx
import pytest
from sqlalchemy.engine import make_url

from functions.devservices import Services
from tests.plugin import MakeUser, ServedFunction, _free_port

SHIPPED_INI = Path(__file__).resolve().parent.parent / "knative" / "base" / "pgbouncer.ini"
# The one database the shipped file declares (its functions' DATABASE_URL names it).
DATABASE = "chorus"
# Override of the shipped default_pool_size (15): 2 server connections, so the functions' client
# connections outnumber them many times over and transactions really do change connections.
SERVER_CONNECTIONS = 2
# Settings of the shipped file that older PgBouncers refuse ("unknown parameter", then they exit),
# and the release that added each. A setting added to pgbouncer.ini that Debian's PgBouncer does
# not know makes the fixture fail with PgBouncer's own message: add it here.
NEWER_SETTINGS = {"max_prepared_statements": (1, 21)}
# A [databases] entry: `key=value` pairs; a value with spaces is single-quoted.
_PAIR = re.compile(r"(\w+)=('[^']*'|[^\s']+)")
_ENTRY = re.compile(rf"\s*(?:{_PAIR.pattern}\s*)*")


@dataclass(frozen=True)
class Bouncer:
    """The running PgBouncer: its DATABASE_URL, and what of the shipped file it runs without."""

    database_url: str
    host: str
    port: int
    user: str
    version: str
    connect_query: str
    left_out: dict[str, str]  # setting -> its shipped value, for settings this PgBouncer lacks

    def describe(self) -> str:
        left_out = ", ".join(
            f"{name} = {value} (PgBouncer {'.'.join(map(str, NEWER_SETTINGS[name]))}+)"
            for name, value in self.left_out.items()
        )
        return (
            f"PgBouncer {self.version} runs {SHIPPED_INI.name} with default_pool_size = "
            f"{SERVER_CONNECTIONS} (test override); shipped settings left out: {left_out or 'none'}"
        )


def installed_version(executable: str) -> tuple[tuple[int, int], str]:
    output = subprocess.run(
        [executable, "--version"], capture_output=True, text=True, timeout=10, check=True
    ).stdout
    match = re.search(r"PgBouncer (\d+)\.(\d+)(\.\d+)?", output, re.IGNORECASE)
    if match is None:
        pytest.fail(f"cannot read the version in `pgbouncer --version`: {output!r}")
    return (int(match[1]), int(match[2])), match[0].split()[1]


def database_entry(text: str) -> dict[str, str]:
    """A [databases] entry's key=value pairs, values as written (quotes kept)."""
    assert _ENTRY.fullmatch(text), f"cannot read the [databases] entry {text!r}"
    return dict(_PAIR.findall(text))


def test_pgbouncer_database_entry_keeps_quoted_values() -> None:
    entry = "chorus = host=postgres port=5432 dbname=chorus connect_query='SET statement_timeout = 5000'"
    assert database_entry(entry.split(" = ", 1)[1]) == {
        "host": "postgres",
        "port": "5432",
        "dbname": "chorus",
        "connect_query": "'SET statement_timeout = 5000'",
    }


@pytest.fixture(scope="module")
def pgbouncer(services: Services, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bouncer]:
    """A PgBouncer with the shipped settings in front of the test database."""
    executable = shutil.which("pgbouncer") or shutil.which("pgbouncer", path="/usr/sbin")
    if executable is None:
        pytest.fail("pgbouncer is not installed: run `make debian-tools` (Debian's pgbouncer package)")
    url = make_url(services.database_url)
    socket_dir = url.query.get("host")
    if not isinstance(socket_dir, str) or url.username is None or url.database is None:
        pytest.fail(f"expected the harness's PostgreSQL on a Unix socket, got {services.database_url}")
    [pg_socket] = [found for found in Path(socket_dir).glob(".s.PGSQL.*") if not found.name.endswith(".lock")]
    pg_port = pg_socket.name.rsplit(".", 1)[1]
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

    ini = configparser.ConfigParser(interpolation=None, inline_comment_prefixes=None)
    ini.optionxform = str  # type: ignore[assignment, method-assign]
    ini.read_string(SHIPPED_INI.read_text())
    assert ini.sections() == ["databases", "pgbouncer"]
    assert list(ini["databases"]) == [DATABASE]
    # The database entry: this machine's PostgreSQL, its test database and user; everything else
    # (connect_query and its quoting) as shipped.
    entry = database_entry(ini["databases"][DATABASE])
    entry.update(host=socket_dir, port=pg_port, dbname=url.database, user=url.username)
    ini["databases"][DATABASE] = " ".join(f"{key}={value}" for key, value in entry.items())
    # What must differ here: the address (no other listener on this machine's 6432), no Unix
    # socket, no passwords (the test user has none; the cluster's userlist is a Secret), and the
    # pool size. Logging stays as shipped (stderr, no pid file).
    local_settings = {
        "listen_addr": "127.0.0.1",
        "listen_port": str(port),
        "unix_socket_dir": "",
        "auth_type": "trust",
        "auth_file": str(workdir / "userlist.txt"),
        "default_pool_size": str(SERVER_CONNECTIONS),
    }
    shipped = ini["pgbouncer"]
    assert set(local_settings) <= set(shipped), "an override of a setting the shipped file lacks"
    shipped.update(local_settings)
    version, version_text = installed_version(executable)
    left_out = {
        name: shipped[name] for name, added in NEWER_SETTINGS.items() if version < added and name in shipped
    }
    for name in left_out:
        ini.remove_option("pgbouncer", name)
    config = io.StringIO()
    ini.write(config)
    (workdir / "pgbouncer.ini").write_text(config.getvalue())

    log = workdir / "pgbouncer.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [executable, *as_user, str(workdir / "pgbouncer.ini")], stdout=output, stderr=subprocess.STDOUT
        )
    deadline = time.monotonic() + 10
    while True:
        if process.poll() is not None:
            pytest.fail(f"pgbouncer exited ({version_text}, left out {left_out}): {log.read_text()[-2000:]}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"pgbouncer did not listen in 10 s: {log.read_text()[-2000:]}")
            time.sleep(0.05)
    yield Bouncer(
        database_url=f"postgresql+asyncpg://{url.username}@127.0.0.1:{port}/{DATABASE}",
        host="127.0.0.1",
        port=port,
        user=url.username,
        version=version_text,
        connect_query=entry.get("connect_query", ""),
        left_out=left_out,
    )
    process.terminate()
    process.wait(10)
    shutil.rmtree(workdir, ignore_errors=True)


async def test_pgbouncer_server_connections_set_statement_timeout_of_shipped_connect_query(
    pgbouncer: Bouncer,
) -> None:
    found = re.search(r"statement_timeout\s*=\s*(\d+)", pgbouncer.connect_query)
    assert found is not None, pgbouncer.connect_query
    # What shared/db.py sends at connect time; ignore_startup_parameters must let PgBouncer accept
    # it (and drop it), else it refuses the connection.
    connection = await asyncpg.connect(
        host=pgbouncer.host,
        port=pgbouncer.port,
        user=pgbouncer.user,
        database=DATABASE,
        statement_cache_size=0,
        server_settings={"statement_timeout": "1234"},
    )
    try:
        setting = await connection.fetchval(
            "SELECT setting FROM pg_settings WHERE name = 'statement_timeout'"
        )
    finally:
        await connection.close()
    assert setting == found[1], pgbouncer.describe()


async def test_pgbouncer_functions_in_transaction_mode_serve_concurrent_requests(
    pgbouncer: Bouncer,
    serve_function: ServedFunction,
    make_user: MakeUser,
    capsys: pytest.CaptureFixture[str],
) -> None:
    with capsys.disabled():
        print(f"\n[pgbouncer] {pgbouncer.describe()}")
    env = {"DATABASE_URL": pgbouncer.database_url, "DB_STATEMENT_CACHE_SIZE": "0", "DB_POOL_SIZE": "4"}
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

        # 24 clients' connections over 2 server connections (the shipped reserve_pool_size adds a
        # few only once a client has waited reserve_pool_timeout), prepared statements and all.
        statuses = await asyncio.gather(*(create(n) for n in range(60)), *(read(n) for n in range(60)))
        assert statuses.count(201) == 60, f"{statuses}\n{pgbouncer.describe()}"
        assert statuses.count(200) == 60, f"{statuses}\n{pgbouncer.describe()}"
        for user in users:
            listed = await http.get(f"{reader.url}/api/households", headers=user.headers())
            assert listed.status_code == 200
            assert len(listed.json()["data"]) == 15
