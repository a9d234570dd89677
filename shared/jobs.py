"""Scheduled jobs: `chorus job <name>` runs one once; a Kubernetes CronJob per job runs the same.

Every job is idempotent (a second run changes nothing), works a batch of rows per statement rather
than a statement per row, and holds a PostgreSQL advisory lock while it runs, so two copies started
together leave one to do the work. The unique occurrence slot and the notification dedupe key
guard against duplicates even without the lock.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy import func, literal, select, text, update
from sqlalchemy.dialects.postgresql import distinct_on, insert
from sqlalchemy.ext.asyncio import AsyncSession

from shared import db, events, occurrences
from shared.assignment import LOAD_WINDOW, Candidate
from shared.models import (
    AwayPeriod,
    Chore,
    ChoreMember,
    Event,
    HistoryEntry,
    Household,
    Membership,
    MissedPolicy,
    Mode,
    Occurrence,
    OutboxEvent,
    Status,
)
from shared.settings import get_settings

log = logging.getLogger("chorus.jobs")

BATCH = 2000
# An occurrence counts as missed once the next one is due; one-offs and completion-anchored chores,
# which have no "next", after this grace.
MISSED_GRACE = occurrences.MISSED_GRACE
DUE_SOON = timedelta(hours=1)
# All-day chores are announced at this local hour of their day.
ALL_DAY_REMINDER_HOUR = 9
# Overdue reminders only for what became overdue lately: a job that was off for a week does not
# flood people with old news.
OVERDUE_LOOKBACK = timedelta(days=2)


# PostgreSQL plans a prepared statement afresh for its first five runs, then may settle on one
# generic plan that ignores the parameter values. For a batch query that walks the whole table by
# key (`id > $1`), a generic plan chosen from earlier runs' estimates scanned everything every batch:
# 100,000 chores took 74 s instead of 35 (bench/jobs.py). A job's batches are few and large, so
# planning each one is cheap.
_CUSTOM_PLANS = text("SET LOCAL plan_cache_mode = force_custom_plan")


@asynccontextmanager
async def _batch() -> AsyncIterator[AsyncSession]:
    """One batch's transaction, planned for its own parameters."""
    async with db.session_scope() as session:
        await session.execute(_CUSTOM_PLANS)
        yield session


@dataclass
class JobResult:
    name: str
    changed: dict[str, int] = field(default_factory=dict)
    skipped: bool = False
    seconds: float = 0.0

    def add(self, key: str, count: int) -> None:
        self.changed[key] = self.changed.get(key, 0) + count


async def run(name: str, *, now: datetime | None = None) -> JobResult:
    """Run one job under its advisory lock; a second copy running at the same time does nothing."""
    job = JOBS[name]
    started = time.perf_counter()
    result = JobResult(name=name)
    async with db.get_engine().connect() as lock:
        got = await lock.scalar(select(func.pg_try_advisory_lock(func.hashtext(f"chorus-job-{name}"))))
        await lock.commit()
        if not got:
            result.skipped = True
            log.info("job skipped: another run holds the lock", extra={"job": name})
            return result
        try:
            await job(result, now or datetime.now(UTC))
        finally:
            await lock.execute(select(func.pg_advisory_unlock(func.hashtext(f"chorus-job-{name}"))))
            await lock.commit()
    result.seconds = time.perf_counter() - started
    log.info(
        "job finished", extra={"job": name, "changed": result.changed, "seconds": round(result.seconds, 3)}
    )
    return result


# --- materialize -------------------------------------------------------------------------------


async def materialize(result: JobResult, now: datetime) -> None:
    """Every active chore has its next occurrence; in "each of" chores, every eligible member."""
    open_for_member = (
        select(Occurrence.id)
        .where(
            Occurrence.chore_id == ChoreMember.chore_id,
            Occurrence.for_user_id == ChoreMember.user_id,
            Occurrence.status == Status.OPEN,
        )
        .exists()
    )
    member_lacking = (
        select(ChoreMember.user_id)
        .join(Membership, Membership.user_id == ChoreMember.user_id)
        .where(
            ChoreMember.chore_id == Chore.id, Membership.household_id == Chore.household_id, ~open_for_member
        )
        .exists()
    )
    nothing_open = (
        ~select(Occurrence.id)
        .where(Occurrence.chore_id == Chore.id, Occurrence.status == Status.OPEN)
        .exists()
    )
    after_id = uuid.UUID(int=0)
    while True:
        async with _batch() as session:
            # Locking the batch's chores makes an archive, pause or edit wait for this batch (and
            # its own clean-up then sees what the batch created), instead of racing it.
            chores = list(
                await session.execute(
                    select(Chore, Household.timezone)
                    .join(Household, Household.id == Chore.household_id)
                    .where(
                        Chore.id > after_id,
                        Chore.archived_at.is_(None),
                        Chore.paused.is_(False),
                        nothing_open | ((Chore.mode == Mode.EACH_OF) & member_lacking),
                    )
                    .order_by(Chore.id)
                    .limit(BATCH)
                    .with_for_update(of=Chore, skip_locked=True)
                )
            )
            if not chores:
                return
            after_id = chores[-1][0].id
            rows = await _plan_batch(session, [(chore, tz) for chore, tz in chores], now)
            created = await occurrences.insert_planned(session, rows)
            result.add("occurrences", len(created))
            await _announce(session, created, "occurrence.created")
            await events.commit(session)


async def _plan_batch(
    session: AsyncSession, chores: list[tuple[Chore, str]], now: datetime
) -> list[dict[str, object]]:
    """Plan the next occurrence of many chores with a handful of queries, whatever their number."""
    ids = [chore.id for chore, _ in chores]
    households = list({chore.household_id for chore, _ in chores})
    latest = {
        chore_id: (due_at, assignee_id)
        for chore_id, due_at, assignee_id in await session.execute(
            select(Occurrence.chore_id, Occurrence.due_at, Occurrence.assignee_id)
            .where(Occurrence.chore_id.in_(ids), Occurrence.for_user_id.is_(None))
            .ext(distinct_on(Occurrence.chore_id))
            .order_by(Occurrence.chore_id, Occurrence.due_at.desc())
        )
    }
    # In "each of" chores every member's turns follow their own last one.
    latest_own = {
        (chore_id, user_id): due_at
        for chore_id, user_id, due_at in await session.execute(
            select(Occurrence.chore_id, Occurrence.for_user_id, func.max(Occurrence.due_at))
            .where(Occurrence.chore_id.in_(ids), Occurrence.for_user_id.is_not(None))
            .group_by(Occurrence.chore_id, Occurrence.for_user_id)
        )
    }
    # Members who already have an open occurrence of an "each of" chore are not planned again.
    has_open: dict[uuid.UUID, set[uuid.UUID]] = defaultdict(set)
    for chore_id, user_id in await session.execute(
        select(Occurrence.chore_id, Occurrence.for_user_id).where(
            Occurrence.chore_id.in_(ids),
            Occurrence.status == Status.OPEN,
            Occurrence.for_user_id.is_not(None),
        )
    ):
        if user_id is not None:  # excluded by the query; narrowed for the type checker
            has_open[chore_id].add(user_id)
    closed = await occurrences.last_closed(session, ids)
    members: dict[uuid.UUID, list[Candidate]] = defaultdict(list)
    for chore_id, candidate in await occurrences.eligible_members_of(session, ids):
        members[chore_id].append(candidate)
    away: dict[uuid.UUID, list[tuple[uuid.UUID, date, date]]] = defaultdict(list)
    for household_id, user_id, starts_on, ends_on in await session.execute(
        select(AwayPeriod.household_id, AwayPeriod.user_id, AwayPeriod.starts_on, AwayPeriod.ends_on).where(
            AwayPeriod.household_id.in_(households), AwayPeriod.ends_on >= (now - timedelta(days=1)).date()
        )
    ):
        away[household_id].append((user_id, starts_on, ends_on))
    load: dict[uuid.UUID, dict[uuid.UUID, int]] = defaultdict(dict)
    for household_id, credited_id, minutes in await session.execute(
        select(HistoryEntry.household_id, HistoryEntry.credited_id, func.sum(HistoryEntry.effort_minutes))
        .where(HistoryEntry.household_id.in_(households), HistoryEntry.created_at > now - LOAD_WINDOW)
        .group_by(HistoryEntry.household_id, HistoryEntry.credited_id)
    ):
        if credited_id is not None:  # history of a deleted user
            load[household_id][credited_id] = int(minutes or 0)

    def next_due(chore: Chore, tz: str, previous: datetime | None) -> datetime | None:
        last_closed = closed.get(chore.id)
        if chore.anchor == "completion" and last_closed is not None:
            return occurrences.next_due(
                chore,
                tz,
                after=now,
                completed_at=occurrences.catch_up(last_closed[0], now),
                completions=max(last_closed[1], 1),
            )
        # Not behind the current one: a paused or missed chore does not get a backlog.
        after = occurrences.catch_up(previous, now) if previous is not None else now
        return occurrences.next_due(chore, tz, after=after)

    dues: dict[tuple[uuid.UUID, datetime | None], datetime | None] = {}

    def plan(
        chore: Chore,
        tz: str,
        previous: datetime | None,
        *,
        last_assignee: uuid.UUID | None = None,
        only_for: uuid.UUID | None = None,
    ) -> list[dict[str, object]]:
        """The rows of the chore's next due time after `previous` (its latest occurrence's)."""
        if (chore.id, previous) not in dues:  # "each of" members mostly share their last due time
            dues[chore.id, previous] = next_due(chore, tz, previous)
        due = dues[chore.id, previous]
        if due is None:
            return []
        on = occurrences.local_date(due, tz, all_day=chore.all_day)
        facts = occurrences.Facts(
            members=members[chore.id],
            away={user for user, start, end in away[chore.household_id] if start <= on <= end},
            last_assignee=last_assignee,
            load={m.user_id: load[chore.household_id].get(m.user_id, 0) for m in members[chore.id]},
        )
        return occurrences.plan(chore, tz, due, facts, only_for=only_for)

    rows: list[dict[str, object]] = []
    for chore, tz in chores:
        if chore.mode is not Mode.EACH_OF:
            previous = latest.get(chore.id)
            due_at, assignee = previous if previous is not None else (None, None)
            rows += plan(chore, tz, due_at, last_assignee=assignee)
            continue
        for member in members[chore.id]:
            if member.user_id not in has_open[chore.id]:
                own = latest_own.get((chore.id, member.user_id))
                rows += plan(chore, tz, own, only_for=member.user_id)
    return rows


async def _announce(session: AsyncSession, occurrence_ids: list[uuid.UUID], kind: str) -> None:
    """One outbox event per occurrence, with a fixed number of statements for the whole batch."""
    if not occurrence_ids:
        return
    rows = await session.execute(
        select(
            Occurrence.id,
            Occurrence.household_id,
            Occurrence.chore_id,
            Occurrence.assignee_id,
            Occurrence.status,
            Occurrence.due_at,
        )
        .where(Occurrence.id.in_(occurrence_ids))
        .order_by(Occurrence.household_id, Occurrence.due_at, Occurrence.id)
    )
    await events.record_many(
        session,
        [
            (
                household_id,
                kind,
                occurrences.event_payload(occurrence_id, chore_id, assignee_id, status, due_at),
            )
            for occurrence_id, household_id, chore_id, assignee_id, status, due_at in rows
        ],
    )


# --- missed ------------------------------------------------------------------------------------


async def missed(result: JobResult, now: datetime) -> None:
    """Apply each chore's missed policy to occurrences whose time has passed, then refill."""
    after_id = uuid.UUID(int=0)
    while True:
        async with _batch() as session:
            candidates = list(
                await session.execute(
                    select(Occurrence.id, Occurrence.due_at, Chore, Household.timezone)
                    .join(Chore, Chore.id == Occurrence.chore_id)
                    .join(Household, Household.id == Chore.household_id)
                    .where(
                        Occurrence.id > after_id,
                        Occurrence.status == Status.OPEN,
                        Occurrence.due_at < now,
                        Chore.missed_policy != MissedPolicy.KEEP_OPEN,
                        Chore.archived_at.is_(None),
                    )
                    .order_by(Occurrence.id)
                    .limit(BATCH)
                )
            )
            if not candidates:
                break
            after_id = candidates[-1][0]
            by_policy: dict[MissedPolicy, list[uuid.UUID]] = defaultdict(list)
            for occurrence_id, due_at, chore, tz in candidates:
                following = (
                    occurrences.next_due(chore, tz, after=due_at) if chore.anchor == "calendar" else None
                )
                if (following or due_at + MISSED_GRACE) <= now:
                    by_policy[chore.missed_policy].append(occurrence_id)
            for policy, ids in by_policy.items():
                status, event = (
                    (Status.MISSED, Event.MISSED)
                    if policy is MissedPolicy.ROLL_FORWARD
                    else (Status.SKIPPED, Event.SKIPPED)
                )
                closed = (
                    update(Occurrence)
                    .where(Occurrence.id.in_(ids), Occurrence.status == Status.OPEN)
                    .values(status=status)
                    .returning(
                        Occurrence.id, Occurrence.household_id, Occurrence.chore_id, Occurrence.assignee_id
                    )
                    .cte("closed")
                )
                # One statement closes the batch and writes its history, so they cannot drift apart.
                inserted = await session.execute(
                    insert(HistoryEntry)
                    .from_select(
                        ["id", "household_id", "chore_id", "occurrence_id", "event", "credited_id", "note"],
                        select(
                            func.gen_random_uuid(),
                            closed.c.household_id,
                            closed.c.chore_id,
                            closed.c.id,
                            literal(event.value),
                            closed.c.assignee_id,
                            literal(f"missed policy: {policy.value.replace('_', ' ')}"),
                        ),
                    )
                    .returning(HistoryEntry.occurrence_id)
                )
                closed_ids = [
                    occurrence_id for occurrence_id in inserted.scalars() if occurrence_id is not None
                ]
                result.add(status.value, len(closed_ids))
                await _announce(session, closed_ids, f"occurrence.{status.value}")
            await events.commit(session)
    await materialize(result, now)


# --- remind ------------------------------------------------------------------------------------

_REMIND = text(
    """
    WITH params AS (
        SELECT CAST(:now AS timestamptz) AS now, CAST(:due_soon AS interval) AS due_soon,
               CAST(:lookback AS interval) AS lookback, CAST(:all_day_hour AS integer) AS all_day_hour
    ),
    -- Python's tzdata may know zones this PostgreSQL does not: those read as UTC here rather
    -- than failing the whole run.
    known AS (SELECT name FROM pg_timezone_names),
    due AS (
        SELECT o.id, o.chore_id, o.household_id, o.assignee_id AS user_id, o.due_at, c.title, c.all_day,
               z.home_tz,
               -- The hour on the local clock: the day may be 23 or 25 hours long.
               CASE WHEN c.all_day
                    THEN ((o.window_start AT TIME ZONE z.home_tz) + make_interval(hours => p.all_day_hour))
                         AT TIME ZONE z.home_tz
                    ELSE o.due_at - p.due_soon END AS remind_at
        FROM occurrences o JOIN chores c ON c.id = o.chore_id JOIN households h ON h.id = o.household_id
             CROSS JOIN params p
             CROSS JOIN LATERAL (
                 SELECT CASE WHEN h.timezone IN (SELECT name FROM known) THEN h.timezone ELSE 'UTC' END
                        AS home_tz
             ) z
        WHERE o.status = 'open' AND o.assignee_id IS NOT NULL AND c.archived_at IS NULL AND NOT c.paused
          AND o.due_at > p.now - p.lookback AND o.window_start <= p.now + interval '1 day'
    ),
    people AS (
        SELECT u.id, u.quiet_start, u.quiet_end, u.muted_kinds,
               (p.now AT TIME ZONE CASE WHEN u.timezone IN (SELECT name FROM known) THEN u.timezone
                                        ELSE 'UTC' END)::time AS local_now
        FROM users u CROSS JOIN params p WHERE u.id IN (SELECT user_id FROM due)
    ),
    wanted AS (
        SELECT d.*, p.now, CASE WHEN p.now >= d.due_at THEN 'overdue' ELSE 'due_soon' END AS kind
        FROM due d JOIN people u ON u.id = d.user_id CROSS JOIN params p
        WHERE p.now >= d.remind_at
          AND (CASE WHEN p.now >= d.due_at THEN 'overdue' ELSE 'due_soon' END) <> ALL (u.muted_kinds)
          -- quiet hours, in the person's own time zone (they may wrap past midnight)
          AND NOT (
              u.quiet_start IS NOT NULL AND u.quiet_end IS NOT NULL AND (
                  CASE WHEN u.quiet_start <= u.quiet_end
                       THEN u.local_now >= u.quiet_start AND u.local_now < u.quiet_end
                       ELSE u.local_now >= u.quiet_start OR u.local_now < u.quiet_end
                  END))
    )
    INSERT INTO notifications (id, user_id, household_id, kind, occurrence_id, text, dedupe_key, created_at)
    SELECT gen_random_uuid(), w.user_id, w.household_id, w.kind, w.id,
           CASE WHEN w.kind = 'overdue' THEN w.title || ' is overdue'
                WHEN w.all_day THEN w.title || ' is due today'
                ELSE w.title || ' is due at ' || to_char(w.due_at AT TIME ZONE w.home_tz, 'HH24:MI') END,
           -- keyed by chore and due time, not row id: a recomputed occurrence is not announced twice
           w.kind || ':' || w.chore_id || ':' || to_char(w.due_at AT TIME ZONE 'UTC', 'YYYYMMDD"T"HH24MISS'),
           w.now
    FROM wanted w
    ON CONFLICT ON CONSTRAINT uq_notifications_dedupe DO NOTHING
    RETURNING kind
    """
)


async def remind(result: JobResult, now: datetime) -> None:
    """Due-soon and overdue reminders into each assignee's feed, once each, outside quiet hours."""
    async with db.session_scope() as session:
        kinds = await session.scalars(
            _REMIND,
            {
                "now": now,
                "due_soon": DUE_SOON,
                "lookback": OVERDUE_LOOKBACK,
                "all_day_hour": ALL_DAY_REMINDER_HOUR,
            },
        )
        for kind in kinds:
            result.add(kind, 1)
        await session.commit()


# --- outbox ------------------------------------------------------------------------------------

# Events younger than this are still being published by the request that wrote them.
SWEEP_AFTER = timedelta(seconds=2)


async def sweep(result: JobResult, now: datetime) -> None:
    """Publish outbox events that the writing request could not (Redis was down, the pod died)."""
    while True:
        async with _batch() as session:
            stale = await events.unpublished(session, before=now - SWEEP_AFTER, limit=BATCH)
            if not stale:
                return
            sent = await events.publish(session, [(event.household_id, event.seq) for event in stale])
            result.add("published", sent)
            if sent < len(stale):  # Redis is still unreachable: try again next run
                return


async def prune(result: JobResult, now: datetime) -> None:
    """Delete published events older than the retention period (relays replay from what is left)."""
    cutoff = now - timedelta(days=get_settings().event_retention_days)
    async with db.session_scope() as session:
        deleted = await session.scalars(
            sa.delete(OutboxEvent)
            .where(OutboxEvent.created_at < cutoff, OutboxEvent.published_at.is_not(None))
            .returning(OutboxEvent.seq)
        )
        result.add("deleted", len(list(deleted)))
        await session.commit()


JOBS: dict[str, Callable[[JobResult, datetime], Awaitable[None]]] = {
    "materialize": materialize,
    "missed": missed,
    "remind": remind,
    "sweep": sweep,
    "prune": prune,
}
