"""Scheduled jobs at scale: `materialize` and `remind` over N chores, timed, with SQL statements counted.

    .venv/bin/python bench/jobs.py [--chores 100000] [--baseline-chores 10000] [--quick] [--json PATH]

Seeds households of two with ten daily chores each straight in SQL (generate_series), with no
open occurrences, then:

1. the baseline, over `--baseline-chores`: the job as a Python loop per chore, the way a job is
   usually first written: one transaction per chore that loads it, asks the same domain code the
   API uses (`occurrences.spawn_next`) for its next occurrence, records the event and commits;
2. Chorus's set-based `materialize` over the same chores, from the same empty start (the ratio);
3. at full size (`--chores`): `materialize`, `materialize` again (must change nothing), and
   `remind` with the clock set half an hour before the first due time.

Uses embedded services unless DATABASE_URL points at a running PostgreSQL.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event, select, text

ROOT = Path(__file__).resolve().parents[1]

PER_HOUSEHOLD = 10

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


RESET = """
TRUNCATE users, households, chores, chore_members, memberships, occurrences, history, events CASCADE
"""


async def seed(chores: int) -> None:
    from shared import db

    async with db.get_engine().begin() as connection:
        await connection.execute(text(RESET))
        for statement in SEED.split(";\n"):
            if statement.strip():
                await connection.execute(
                    text(statement), {"households": chores // PER_HOUSEHOLD, "per_household": PER_HOUSEHOLD}
                )


async def clear_occurrences() -> None:
    from shared import db

    async with db.get_engine().begin() as connection:
        await connection.execute(text("TRUNCATE occurrences, events CASCADE"))
        await connection.execute(text("UPDATE households SET event_seq = 0"))


async def per_chore_loop(now: datetime) -> int:
    """The baseline: one transaction per chore, through the API's own per-chore code."""
    from shared import db, events, occurrences
    from shared.models import Chore, Household

    async with db.session_scope() as session:
        ids = list(await session.scalars(select(Chore.id).order_by(Chore.id)))
    created = 0
    for chore_id in ids:
        async with db.session_scope() as session:
            row = (
                await session.execute(
                    select(Chore, Household.timezone)
                    .join(Household, Household.id == Chore.household_id)
                    .where(Chore.id == chore_id)
                    .with_for_update(of=Chore)
                )
            ).one()
            chore, tz = row
            new = await occurrences.spawn_next(session, chore=chore, tz=tz, after=now)
            for occurrence_id in new:
                await occurrences.announce(session, occurrence_id, "occurrence.created")
            await events.commit(session)
            created += len(new)
    return created


class Counter:
    """SQL statements sent by the engine while it is switched on."""

    def __init__(self) -> None:
        from shared import db

        self.statements = 0
        event.listen(db.get_engine().sync_engine, "before_cursor_execute", self._count)

    def _count(self, *_: Any) -> None:
        self.statements += 1


async def bench(chores: int, baseline_chores: int) -> dict[str, Any]:
    from shared import db, jobs

    counter = Counter()
    now = datetime.now(UTC)
    figures: dict[str, Any] = {"chores": chores, "baseline chores": baseline_chores}

    await seed(baseline_chores)
    counter.statements = 0
    started = time.perf_counter()
    created = await per_chore_loop(now)
    figures["baseline loop"] = {
        "seconds": round(time.perf_counter() - started, 2),
        "statements": counter.statements,
        "changed": {"occurrences": created},
    }
    await clear_occurrences()
    counter.statements = 0
    started = time.perf_counter()
    result = await jobs.run("materialize", now=now)
    figures["materialize (baseline size)"] = {
        "seconds": round(time.perf_counter() - started, 2),
        "statements": counter.statements,
        "changed": result.changed,
    }

    await seed(chores)
    for label, name, when in [
        ("materialize", "materialize", now),
        ("materialize again", "materialize", now),
        ("remind", "remind", None),
    ]:
        if when is None:
            async with db.get_engine().connect() as connection:
                first_due = await connection.scalar(text("SELECT min(due_at) FROM occurrences"))
            when = first_due - timedelta(minutes=30)
        counter.statements = 0
        started = time.perf_counter()
        result = await jobs.run(name, now=when)
        figures[label] = {
            "seconds": round(time.perf_counter() - started, 2),
            "statements": counter.statements,
            "changed": result.changed,
        }
    await db.dispose_engine()
    return figures


def rows(figures: dict[str, Any]) -> list[dict[str, Any]]:
    """The figures as the runner's table rows: Chorus against the per-chore loop."""
    loop, chorus = figures["baseline loop"], figures["materialize (baseline size)"]
    n, big = figures["baseline chores"], figures["chores"]
    out = [
        {
            "metric": f"materialize {n:,} chores, seconds (lower is better)",
            "chorus": chorus["seconds"],
            "baseline": loop["seconds"],
            "unit": "s",
            "ratio": round(chorus["seconds"] / loop["seconds"], 3) if loop["seconds"] else None,
            "target": None,
            "met": None,
        },
        {
            "metric": f"materialize {n:,} chores, SQL statements (lower is better)",
            "chorus": chorus["statements"],
            "baseline": loop["statements"],
            "unit": "statements",
            "ratio": round(chorus["statements"] / loop["statements"], 4) if loop["statements"] else None,
            "target": None,
            "met": None,
        },
    ]
    scale = big / n
    for label in ("materialize", "materialize again", "remind"):
        figure = figures[label]
        out.append(
            {
                "metric": f"{label} {big:,} chores, seconds"
                + (f" (vs {scale:g}x the {n:,}-chore run)" if label == "materialize" else ""),
                "chorus": figure["seconds"],
                "baseline": round(chorus["seconds"] * scale, 2) if label == "materialize" else None,
                "unit": "s",
                "ratio": round(figure["seconds"] / (chorus["seconds"] * scale), 3)
                if label == "materialize" and chorus["seconds"]
                else None,
                "target": None,
                "met": None,
            }
        )
        out.append(
            {
                "metric": f"{label} {big:,} chores, SQL statements",
                "chorus": figure["statements"],
                "baseline": None,
                "unit": "statements",
                "ratio": None,
                "target": "0 changes" if label == "materialize again" else None,
                "met": (figure["changed"] == {}) if label == "materialize again" else None,
            }
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chores", type=int, default=100_000)
    parser.add_argument("--baseline-chores", type=int, default=10_000)
    parser.add_argument("--quick", action="store_true", help="5,000 chores, baseline 1,000")
    parser.add_argument("--json", type=Path, help="write the figures here for bench/run.py")
    args = parser.parse_args()
    if args.quick:
        args.chores, args.baseline_chores = 5_000, 1_000
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
        figures = asyncio.run(bench(args.chores, args.baseline_chores))
    for label, value in figures.items():
        print(f"{label}: {value}")
    if args.json:
        notes = [
            "Baseline: the same job as a Python loop per chore (one transaction each, the API's "
            "spawn_next), over the same chores from the same empty start.",
            "The full-size row compares with the baseline-size Chorus run scaled linearly: a ratio "
            "near 1 means the job grows linearly with the number of chores.",
        ]
        report = {"benchmark": "jobs", "rows": rows(figures), "notes": notes, "figures": figures}
        args.json.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
