"""Scheduled jobs at scale: `materialize` and `remind` over N chores, timed, with SQL statements counted.

    .venv/bin/python bench/jobs.py [--chores 100000]

Seeds households of two with ten daily chores each straight in SQL (generate_series), with no
open occurrences, then runs `materialize` (every chore gets its next occurrence), `materialize`
again (must change nothing), and `remind` with the clock set an hour before the first due time.
Uses embedded services unless DATABASE_URL points at a running PostgreSQL.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event, text

ROOT = Path(__file__).resolve().parents[1]

SEED = """
INSERT INTO users (id, firebase_uid, email, display_name)
SELECT gen_random_uuid(), 'bench-' || n, 'bench' || n || '@example.com', 'Bench ' || n
FROM generate_series(1, :households * 2) AS n;

INSERT INTO households (id, name, timezone)
SELECT gen_random_uuid(), 'Bench ' || n, 'Europe/Berlin' FROM generate_series(1, :households) AS n;

WITH numbered_users AS (
         SELECT id, row_number() OVER (ORDER BY firebase_uid) AS n
         FROM users WHERE firebase_uid LIKE 'bench-%'),
     numbered_households AS (
         SELECT id, row_number() OVER (ORDER BY id) AS n FROM households WHERE name LIKE 'Bench %')
INSERT INTO memberships (household_id, user_id, role)
SELECT h.id, u.id, CASE WHEN u.n % 2 = 1 THEN 'owner' ELSE 'member' END
FROM numbered_households h JOIN numbered_users u ON (u.n + 1) / 2 = h.n;

INSERT INTO chores (id, household_id, title, effort_minutes, points, strategy, mode, missed_policy,
                    schedule, rrule, dtstart, all_day, anchor)
SELECT gen_random_uuid(), h.id, 'Chore ' || c, 10 + c, 1, 'round_robin', 'one_of', 'roll_forward',
       '{"kind": "daily", "start": "2026-01-01", "time": "07:00", "every": 1}', 'FREQ=DAILY',
       '2026-01-01 07:00', false, 'calendar'
FROM households h CROSS JOIN generate_series(1, :per_household) AS c WHERE h.name LIKE 'Bench %';

INSERT INTO chore_members (chore_id, user_id, position)
SELECT c.id, m.user_id, CASE WHEN m.role = 'owner' THEN 0 ELSE 1 END
FROM chores c JOIN memberships m ON m.household_id = c.household_id WHERE c.title LIKE 'Chore %';

ANALYZE;
"""


async def bench(chores: int) -> dict[str, Any]:
    from shared import db, jobs

    per_household = 10
    households = chores // per_household
    engine = db.get_engine()
    async with engine.begin() as connection:
        for statement in SEED.split(";\n"):
            if statement.strip():
                await connection.execute(
                    text(statement), {"households": households, "per_household": per_household}
                )
    statements = 0

    def count(*_: Any) -> None:
        nonlocal statements
        statements += 1

    event.listen(engine.sync_engine, "before_cursor_execute", count)
    figures: dict[str, Any] = {"chores": chores}
    now = datetime.now(UTC)
    for label, name, when in [
        ("materialize", "materialize", now),
        ("materialize again", "materialize", now),
        ("remind", "remind", None),
    ]:
        if when is None:
            async with engine.connect() as connection:
                first_due = await connection.scalar(text("SELECT min(due_at) FROM occurrences"))
            when = first_due - timedelta(minutes=30)
        statements = 0
        started = time.perf_counter()
        result = await jobs.run(name, now=when)
        figures[label] = {
            "seconds": round(time.perf_counter() - started, 2),
            "statements": statements,
            "changed": result.changed,
        }
    await db.dispose_engine()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chores", type=int, default=100_000)
    args = parser.parse_args()
    from functions.devservices import running_services

    with running_services(
        Path(tempfile.mkdtemp(prefix="chorus-bench-")), database_name="bench", log=lambda _: None
    ) as services:
        os.environ.update(services.env())
        subprocess.run(
            [str(Path(sys.executable).parent / "chorus"), "migrate", "upgrade"],
            check=True,
            capture_output=True,
            cwd=ROOT,
        )
        figures = asyncio.run(bench(args.chores))
    for label, value in figures.items():
        print(f"{label}: {value}")


if __name__ == "__main__":
    main()
