"""Scheduled jobs: each does its work once, a second run changes nothing, two copies do not collide."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
from typing import Any

import httpx
from sqlalchemy import text

from shared import jobs
from shared.db import session_scope
from tests.plugin import FirebaseUser, MakeUser
from tests.utils import add_member, create_chore, create_household, daily, me


async def _sql(statement: str, **params: Any) -> list[Any]:
    async with session_scope() as session:
        result = await session.execute(text(statement), params)
        rows = list(result) if statement.lstrip().upper().startswith("SELECT") else []
        await session.commit()
        return rows


async def _household(
    client: httpx.AsyncClient, make_user: MakeUser
) -> tuple[FirebaseUser, dict[str, Any], list[str]]:
    owner, member = make_user("owner"), make_user("member")
    household = await create_household(client, owner, timezone="Europe/Berlin")
    await add_member(client, owner, household["id"], member)
    return owner, household, [(await me(client, owner))["id"], (await me(client, member))["id"]]


async def _open(chore_id: str) -> list[Any]:
    return await _sql(
        "SELECT id, due_at, assignee_id FROM occurrences WHERE chore_id = :c AND status = 'open'", c=chore_id
    )


async def test_job_materialize_refills_and_second_run_changes_nothing(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    owner, household, ids = await _household(client, make_user)
    chore = await create_chore(client, owner, household["id"], ids)
    await _sql("DELETE FROM occurrences WHERE chore_id = :c", c=chore["id"])
    first = await jobs.run("materialize")
    assert first.changed.get("occurrences", 0) >= 1
    [row] = await _open(chore["id"])
    assert row.assignee_id is not None
    second = await jobs.run("materialize")
    assert second.changed == {}
    assert await _open(chore["id"]) == [row]


async def test_job_materialize_two_copies_make_no_duplicates(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    owner, household, ids = await _household(client, make_user)
    chores = [await create_chore(client, owner, household["id"], ids, title=f"Chore {i}") for i in range(5)]
    for chore in chores:
        await _sql("DELETE FROM occurrences WHERE chore_id = :c", c=chore["id"])
    results = await asyncio.gather(jobs.run("materialize"), jobs.run("materialize"))
    assert sum(r.changed.get("occurrences", 0) for r in results) >= 5
    for chore in chores:
        assert len(await _open(chore["id"])) == 1


async def test_job_missed_rolls_forward_once(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    owner, household, ids = await _household(client, make_user)
    started = daily(start=(dt.date.today() - dt.timedelta(days=10)).isoformat())
    made = {
        policy: await create_chore(
            client, owner, household["id"], ids, title=title, missed_policy=policy, schedule=started
        )
        for title, policy in [("Rolling", "roll_forward"), ("Kept", "keep_open"), ("Skipping", "auto_skip")]
    }
    rolling, kept, skipping = made["roll_forward"], made["keep_open"], made["auto_skip"]
    for chore in (rolling, kept, skipping):
        await _sql(
            "UPDATE occurrences SET due_at = due_at - interval '3 days' "
            "WHERE chore_id = :c AND status = 'open'",
            c=chore["id"],
        )
    now = dt.datetime.now(dt.UTC)
    first = await jobs.run("missed", now=now)
    assert first.changed.get("missed", 0) >= 1
    statuses = await _sql(
        "SELECT c.title, o.status, o.due_at > CAST(:now AS timestamptz) - interval '1 day' AS current "
        "FROM occurrences o JOIN chores c ON c.id = o.chore_id "
        "WHERE c.household_id = :h ORDER BY c.title, o.due_at",
        h=household["id"],
        now=now,
    )
    # The replacement is the current one (due within the last day, or next), never a backlog.
    assert [(r.title, r.status, r.current) for r in statuses] == [
        ("Kept", "open", False),
        ("Rolling", "missed", False),
        ("Rolling", "open", True),
        ("Skipping", "skipped", False),
        ("Skipping", "open", True),
    ]
    history = await _sql(
        "SELECT event, note FROM history WHERE household_id = :h ORDER BY event", h=household["id"]
    )
    assert [(h.event, h.note) for h in history] == [
        ("missed", "missed policy: roll forward"),
        ("skipped", "missed policy: auto skip"),
    ]
    second = await jobs.run("missed", now=now)
    assert second.changed == {}


async def test_job_remind_once_each_and_respects_quiet_hours(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    owner, household, ids = await _household(client, make_user)
    # 07:00 in Berlin, assigned to the owner (fixed); the job runs with a fake clock around it.
    chore = await create_chore(client, owner, household["id"], ids, strategy="fixed", schedule=daily("07:00"))
    [occurrence] = await _open(chore["id"])
    due = occurrence.due_at

    async def notifications() -> list[tuple[str, str]]:
        rows = await _sql(
            "SELECT kind, text FROM notifications "
            "WHERE occurrence_id = :o AND kind IN ('due_soon', 'overdue') ORDER BY created_at, kind",
            o=occurrence.id,
        )
        return [(r.kind, r.text) for r in rows]

    await jobs.run("remind", now=due - dt.timedelta(hours=2))
    assert await notifications() == []
    await jobs.run("remind", now=due - dt.timedelta(minutes=30))
    assert await notifications() == [("due_soon", "Dishes is due at 07:00")]
    # The same clock again changes nothing anywhere; later runs never repeat this reminder.
    assert (await jobs.run("remind", now=due - dt.timedelta(minutes=30))).changed == {}
    await jobs.run("remind", now=due - dt.timedelta(minutes=20))
    assert await notifications() == [("due_soon", "Dishes is due at 07:00")]
    # Quiet 06:00-09:00 Berlin time for the owner: the overdue reminder waits until 09:00.
    await _sql(
        "UPDATE users SET timezone = 'Europe/Berlin', quiet_start = '06:00', quiet_end = '09:00' "
        "WHERE id = :u",
        u=ids[0],
    )
    await jobs.run("remind", now=due + dt.timedelta(minutes=10))
    assert [kind for kind, _ in await notifications()] == ["due_soon"]
    await jobs.run("remind", now=due + dt.timedelta(hours=2, minutes=5))
    assert await notifications() == [("due_soon", "Dishes is due at 07:00"), ("overdue", "Dishes is overdue")]
    await jobs.run("remind", now=due + dt.timedelta(hours=3))
    assert len(await notifications()) == 2


async def test_job_cli_runs_and_reports(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    import json
    import subprocess
    import sys
    from pathlib import Path

    chorus = Path(sys.executable).parent / "chorus"
    done = await asyncio.to_thread(
        subprocess.run,
        [str(chorus), "job", "materialize"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["job"] == "materialize"
    assert report["skipped"] is False


async def test_job_cli_pushes_metrics_to_a_pushgateway() -> None:
    import http.server
    import subprocess
    import sys
    import threading
    from pathlib import Path

    received: list[tuple[str, str]] = []

    class Gateway(http.server.BaseHTTPRequestHandler):
        def do_PUT(self) -> None:
            body = self.rfile.read(int(self.headers["content-length"])).decode()
            received.append((self.path, body))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Gateway)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        env = {**os.environ, "PUSHGATEWAY_URL": f"http://127.0.0.1:{server.server_port}"}
        chorus = Path(sys.executable).parent / "chorus"
        await asyncio.to_thread(
            subprocess.run,
            [str(chorus), "job", "remind"],
            env=env,
            check=True,
            capture_output=True,
            timeout=60,
        )
    finally:
        server.shutdown()
        server.server_close()
    [(path, body)] = received
    assert path == "/metrics/job/chorus-job-remind"
    assert 'chorus_job_last_success_timestamp_seconds{job="remind"}' in body
    assert 'chorus_job_duration_seconds{job="remind"}' in body


async def test_job_materialize_refills_each_of_members(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    owner, household, ids = await _household(client, make_user)
    chore = await create_chore(client, owner, household["id"], ids, mode="each_of")
    await _sql("DELETE FROM occurrences WHERE chore_id = :c AND for_user_id = :u", c=chore["id"], u=ids[1])
    await jobs.run("materialize")
    rows = await _sql(
        "SELECT for_user_id FROM occurrences WHERE chore_id = :c AND status = 'open' ORDER BY for_user_id",
        c=chore["id"],
    )
    assert sorted(str(r.for_user_id) for r in rows) == sorted(ids)


async def test_job_remind_does_not_repeat_after_a_recompute(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    owner, household, ids = await _household(client, make_user)
    chore = await create_chore(client, owner, household["id"], ids, strategy="fixed")
    [occurrence] = await _open(chore["id"])
    soon = occurrence.due_at - dt.timedelta(minutes=30)
    await jobs.run("remind", now=soon)
    response = await client.patch(
        f"/api/households/{household['id']}/chores/{chore['id']}",
        headers=owner.headers(),
        json={"title": "Dishes!"},
    )
    assert response.status_code == 200
    await client.patch(
        f"/api/households/{household['id']}/chores/{chore['id']}",
        headers=owner.headers(),
        json={"strategy": "fixed"},
    )
    await jobs.run("remind", now=soon + dt.timedelta(minutes=1))
    sent = await _sql(
        "SELECT count(*) AS n FROM notifications WHERE household_id = :h AND kind = 'due_soon'",
        h=household["id"],
    )
    assert sent[0].n == 1


async def test_job_remind_survives_zones_postgres_does_not_know(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    owner = make_user("owner")
    zone = "America/Coyhaique"  # in the tzdata package, newer than some PostgreSQL builds
    household = await create_household(client, owner, timezone=zone)
    owner_id = (await me(client, owner))["id"]
    chore = await create_chore(client, owner, household["id"], [owner_id])
    [occurrence] = await _open(chore["id"])
    await jobs.run("remind", now=occurrence.due_at - dt.timedelta(minutes=30))
    sent = await _sql(
        "SELECT kind FROM notifications WHERE occurrence_id = :o AND kind IN ('due_soon', 'overdue')",
        o=occurrence.id,
    )
    assert [r.kind for r in sent] == ["due_soon"]


async def test_job_remind_skips_muted_kinds(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    owner, household, ids = await _household(client, make_user)
    chore = await create_chore(client, owner, household["id"], ids, strategy="fixed")
    [occurrence] = await _open(chore["id"])
    response = await client.patch(
        "/api/me/notification-settings", headers=owner.headers(), json={"muted_kinds": ["due_soon"]}
    )
    assert response.status_code == 200, response.text
    await jobs.run("remind", now=occurrence.due_at - dt.timedelta(minutes=30))
    await jobs.run("remind", now=occurrence.due_at + dt.timedelta(minutes=5))
    sent = await _sql(
        "SELECT kind FROM notifications WHERE occurrence_id = :o AND kind IN ('due_soon', 'overdue')",
        o=occurrence.id,
    )
    assert [r.kind for r in sent] == ["overdue"]


async def test_job_materialize_plans_every_mode_in_one_batch(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    # One INSERT takes the whole batch's rows: "each of" rows (for a member) and the others alike.
    owner, household, ids = await _household(client, make_user)
    made = {
        mode: await create_chore(client, owner, household["id"], ids, title=mode, mode=mode)
        for mode in ("each_of", "one_of", "pool")
    }
    for chore in made.values():
        await _sql("DELETE FROM occurrences WHERE chore_id = :c", c=chore["id"])
    first = await jobs.run("materialize")
    assert first.changed.get("occurrences", 0) >= 4
    rows = await _sql(
        "SELECT c.title, o.for_user_id, o.assignee_id FROM occurrences o JOIN chores c ON c.id = o.chore_id "
        "WHERE c.household_id = :h AND o.status = 'open'",
        h=household["id"],
    )
    by_mode = {mode: [r for r in rows if r.title == mode] for mode in made}
    assert sorted(str(r.for_user_id) for r in by_mode["each_of"]) == sorted(ids)
    assert all(r.assignee_id == r.for_user_id for r in by_mode["each_of"])
    [one] = by_mode["one_of"]
    assert (one.for_user_id, str(one.assignee_id) in ids) == (None, True)
    [pooled] = by_mode["pool"]
    assert (pooled.for_user_id, pooled.assignee_id) == (None, None)
    assert (await jobs.run("materialize")).changed == {}


async def test_job_missed_each_of_goes_on_with_the_current_one(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    # As for "one of": each member's replacement is the one due now, not the one after it.
    owner, household, ids = await _household(client, make_user)
    started = daily(start=(dt.date.today() - dt.timedelta(days=10)).isoformat())
    one = await create_chore(client, owner, household["id"], ids, title="One", schedule=started)
    each = await create_chore(
        client, owner, household["id"], ids, title="Each", mode="each_of", schedule=started
    )
    [current] = await _open(one["id"])
    assert {row.due_at for row in await _open(each["id"])} == {current.due_at}
    # A day and five minutes later: that one is missed, the next day's is five minutes overdue.
    now = current.due_at + dt.timedelta(days=1, minutes=5)
    assert (await jobs.run("missed", now=now)).changed.get("missed", 0) >= 3  # other tests' too
    following = current.due_at + dt.timedelta(days=1)
    assert [row.due_at for row in await _open(one["id"])] == [following]
    each_rows = await _sql(
        "SELECT for_user_id, due_at FROM occurrences WHERE chore_id = :c AND status = 'open'", c=each["id"]
    )
    assert sorted((str(r.for_user_id), r.due_at) for r in each_rows) == sorted((i, following) for i in ids)
    assert (await jobs.run("missed", now=now)).changed == {}


async def test_job_remind_all_day_chores_at_nine_local_time_on_a_dst_change_day(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    # 29 March 2026 has 23 hours in Berlin: its 09:00 is 07:00 UTC, eight hours after midnight.
    owner, household, ids = await _household(client, make_user)
    chore = await create_chore(client, owner, household["id"], ids, strategy="fixed", schedule=daily(None))
    [occurrence] = await _open(chore["id"])
    midnight = dt.datetime(2026, 3, 28, 23, tzinfo=dt.UTC)
    await _sql(
        "UPDATE occurrences SET due_at = due_at + (CAST(:m AS timestamptz) - window_start), "
        "window_start = CAST(:m AS timestamptz) WHERE id = :o",
        m=midnight,
        o=occurrence.id,
    )

    async def reminded() -> bool:
        rows = await _sql(
            "SELECT 1 FROM notifications WHERE occurrence_id = :o AND kind = 'due_soon'", o=occurrence.id
        )
        return bool(rows)

    await jobs.run("remind", now=dt.datetime(2026, 3, 29, 6, 55, tzinfo=dt.UTC))  # 08:55 in Berlin
    assert not await reminded()
    await jobs.run("remind", now=dt.datetime(2026, 3, 29, 7, 5, tzinfo=dt.UTC))  # 09:05 in Berlin
    assert await reminded()
