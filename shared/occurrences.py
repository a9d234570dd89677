"""Occurrences: the due instances of chores, who they land on, and what happened to them.

Every state change writes an append-only history row in the same transaction. Completing or
skipping creates the next occurrence at once; the unique (chore, due time, member) slot means a
racing job or a retried request can never create it twice.
"""

from __future__ import annotations

import uuid
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from shared import events, notifications, schedules
from shared.assignment import LOAD_WINDOW, Candidate, choose
from shared.errors import Conflict, Forbidden, Gone, NotFound
from shared.models import (
    AwayPeriod,
    Chore,
    ChoreMember,
    Event,
    HistoryEntry,
    Household,
    Membership,
    Mode,
    Occurrence,
    Role,
    Status,
    User,
)
from shared.schemas import (
    CompletionCreate,
    CompletionPublic,
    OccurrencePublic,
    OccurrenceQuery,
    OccurrencesPublic,
    ReassignRequest,
    RescheduleRequest,
)

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# How long a completion can be undone.
UNDO_WINDOW = timedelta(hours=24)
# An occurrence counts as missed once the next one is due, or this long after its due time when
# there is no next one; nothing is created that is already this far in the past.
MISSED_GRACE = timedelta(hours=24)


def rule_of(chore: Chore) -> schedules.Rule:
    return schedules.parse_rule(chore.rrule, chore.dtstart, chore.all_day, chore.anchor)


def local_day_start(moment: datetime, tz: str, *, all_day: bool) -> datetime:
    """The start of the local day an occurrence belongs to (all-day due times are the next midnight)."""
    zone = ZoneInfo(tz)
    local = moment.astimezone(zone)
    if all_day:
        local -= timedelta(microseconds=1)
    return datetime.combine(local.date(), time(0), tzinfo=zone).astimezone(UTC)


async def eligible_members_of(
    session: AsyncSession, chore_ids: Sequence[uuid.UUID]
) -> list[tuple[uuid.UUID, Candidate]]:
    """(chore id, member) in rotation order, for current household members only."""
    rows = await session.execute(
        select(ChoreMember.chore_id, User.id, User.display_name)
        .join(User, User.id == ChoreMember.user_id)
        .join(Chore, Chore.id == ChoreMember.chore_id)
        .join(Membership, (Membership.user_id == User.id) & (Membership.household_id == Chore.household_id))
        .where(ChoreMember.chore_id.in_(chore_ids))
        .order_by(ChoreMember.chore_id, ChoreMember.position)
    )
    return [(chore_id, Candidate(user_id=user_id, name=name)) for chore_id, user_id, name in rows]


async def eligible_members(session: AsyncSession, chore: Chore) -> list[Candidate]:
    """The chore's eligible members in rotation order, limited to current household members."""
    return [candidate for _, candidate in await eligible_members_of(session, [chore.id])]


async def _away(session: AsyncSession, household_id: uuid.UUID, on: date) -> set[uuid.UUID]:
    rows = await session.scalars(
        select(AwayPeriod.user_id).where(
            AwayPeriod.household_id == household_id, AwayPeriod.starts_on <= on, AwayPeriod.ends_on >= on
        )
    )
    return set(rows)


async def load_minutes(
    session: AsyncSession, household_id: uuid.UUID, users: Sequence[uuid.UUID], *, until: datetime
) -> dict[uuid.UUID, int]:
    """Effort-minutes each user completed over the load window before `until`, across all chores."""
    rows = await session.execute(
        select(HistoryEntry.credited_id, func.sum(HistoryEntry.effort_minutes))
        .where(
            HistoryEntry.household_id == household_id,
            HistoryEntry.credited_id.in_(users),
            HistoryEntry.created_at > until - LOAD_WINDOW,
            HistoryEntry.created_at <= until,
        )
        .group_by(HistoryEntry.credited_id)
    )
    found = {user_id: int(total or 0) for user_id, total in rows if user_id is not None}
    return {user_id: found.get(user_id, 0) for user_id in users}


@dataclass(frozen=True, slots=True, kw_only=True)
class Facts:
    """What deciding a chore's next occurrence needs, loaded per chore (API) or in bulk (jobs)."""

    members: list[Candidate]
    away: set[uuid.UUID]
    last_assignee: uuid.UUID | None
    load: dict[uuid.UUID, int]


def next_due(
    chore: Chore, tz: str, *, after: datetime, completed_at: datetime | None = None, completions: int = 1
) -> datetime | None:
    """The chore's next due time after `after`. Completion-anchored chores count from
    `completed_at` (the last time it was closed), or start at their first due time."""
    rule = rule_of(chore)
    if rule.anchor == "completion":
        if completed_at is not None:
            return schedules.due_after_completion(
                rule, tz, completed_at=completed_at, completions=completions
            )
        first = schedules.due_times(rule, tz, after=EPOCH, limit=1)
        return first[0] if first else None
    upcoming = schedules.due_times(rule, tz, after=after, limit=1)
    return upcoming[0] if upcoming else None


async def last_closed(
    session: AsyncSession, chore_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, tuple[datetime, int]]:
    """Per chore: when it was last closed (done, skipped or missed) and how many times it was."""
    rows = await session.execute(
        select(
            Occurrence.chore_id,
            func.max(func.coalesce(Occurrence.completed_at, Occurrence.due_at)),
            func.count(),
        )
        .where(Occurrence.chore_id.in_(chore_ids), Occurrence.status != Status.OPEN)
        .group_by(Occurrence.chore_id)
    )
    return {chore_id: (closed_at, count) for chore_id, closed_at, count in rows}


def local_date(due: datetime, tz: str, *, all_day: bool) -> date:
    """The local date an occurrence belongs to (away periods are in local dates)."""
    return local_day_start(due, tz, all_day=all_day).astimezone(ZoneInfo(tz)).date()


def plan(
    chore: Chore, tz: str, due: datetime, facts: Facts, *, only_for: uuid.UUID | None = None
) -> list[dict[str, object]]:
    """The occurrence rows for one due time: one per member for "each of", else one, with its reason."""
    # Every row has the same keys: one INSERT takes many chores' rows (materialize), and a
    # multi-row INSERT's columns are the first row's.
    base = {
        "chore_id": chore.id,
        "household_id": chore.household_id,
        "due_at": due,
        "window_start": local_day_start(due, tz, all_day=chore.all_day),
        "for_user_id": None,
    }
    if chore.mode is Mode.EACH_OF:
        return [
            base
            | {
                "for_user_id": member.user_id,
                "assignee_id": member.user_id,
                "assignment_reason": f"each of: {member.name} does their own",
            }
            for member in facts.members
            if member.user_id not in facts.away and only_for in (None, member.user_id)
        ]
    if chore.mode is Mode.POOL:
        return [base | {"assignee_id": None, "assignment_reason": "pool: unassigned until someone claims it"}]
    decided = choose(
        strategy=chore.strategy.value,
        eligible=facts.members,
        away=facts.away,
        last_assignee=facts.last_assignee,
        load_minutes=facts.load,
        seed=zlib.crc32(f"{chore.id}:{due.isoformat()}".encode()),
    )
    return [base | {"assignee_id": decided.user_id, "assignment_reason": decided.reason}]


async def insert_planned(session: AsyncSession, rows: Sequence[dict[str, object]]) -> list[uuid.UUID]:
    """Insert planned occurrences; a slot that exists already (a racing job, a retry) is left alone."""
    if not rows:
        return []
    created = await session.scalars(
        insert(Occurrence)
        .values([{"id": uuid.uuid4(), **row} for row in rows])
        .on_conflict_do_nothing(constraint="uq_occurrences_slot")
        .returning(Occurrence.id)
    )
    return list(created)


async def spawn_next(
    session: AsyncSession,
    *,
    chore: Chore,
    tz: str,
    after: datetime,
    completed_at: datetime | None = None,
    only_for: uuid.UUID | None = None,
) -> list[uuid.UUID]:
    """Create the chore's next occurrence(s) after `after`; returns the ids actually created.

    Completion-anchored chores count from `completed_at`. "Each of" chores get one occurrence per
    eligible member who is not away (or just `only_for`, when one member finished theirs).
    """
    if chore.archived_at is not None or chore.paused:
        return []
    completions = 1
    if chore.anchor == "completion":
        closed = (await last_closed(session, [chore.id])).get(chore.id)
        if closed is not None:
            completions = max(closed[1], 1)
            if completed_at is None:  # a recompute: count from the last time it was closed
                completed_at = max(closed[0], datetime.now(UTC) - MISSED_GRACE)
    due = next_due(chore, tz, after=after, completed_at=completed_at, completions=completions)
    if due is None:
        return []
    members = await eligible_members(session, chore)
    facts = Facts(
        members=members,
        away=await _away(session, chore.household_id, local_date(due, tz, all_day=chore.all_day)),
        last_assignee=await _assignee_before(session, chore.id, due),
        load=await load_minutes(session, chore.household_id, [m.user_id for m in members], until=due),
    )
    created = await insert_planned(session, plan(chore, tz, due, facts, only_for=only_for))
    for occurrence_id in created:
        await announce(session, occurrence_id, "occurrence.created")
    return created


async def _assignee_before(session: AsyncSession, chore_id: uuid.UUID, due: datetime) -> uuid.UUID | None:
    """Who had the chore's turn before `due`: round robin goes on from them."""
    return await session.scalar(
        select(Occurrence.assignee_id)
        .where(Occurrence.chore_id == chore_id, Occurrence.due_at < due)
        .order_by(Occurrence.due_at.desc())
        .limit(1)
    )


def event_payload(
    occurrence_id: uuid.UUID,
    chore_id: uuid.UUID,
    assignee_id: uuid.UUID | None,
    status: Status,
    due_at: datetime,
) -> dict[str, object]:
    """What an occurrence event carries (the API and the jobs send the same shape)."""
    return {
        "occurrence_id": str(occurrence_id),
        "chore_id": str(chore_id),
        "assignee_id": str(assignee_id) if assignee_id else None,
        "status": status.value,
        "due_at": due_at.isoformat(),
    }


async def announce(
    session: AsyncSession, occurrence_id: uuid.UUID, kind: str, *, previous_assignee: uuid.UUID | None = None
) -> None:
    """Record an occurrence event in the outbox and tell the people it concerns (caller's transaction)."""
    row = (
        await session.execute(
            select(
                Occurrence.household_id,
                Occurrence.chore_id,
                Occurrence.assignee_id,
                Occurrence.status,
                Occurrence.due_at,
                Occurrence.completed_by,
                Occurrence.assignment_reason,
                Chore.title,
            )
            .join(Chore, Chore.id == Occurrence.chore_id)
            .where(Occurrence.id == occurrence_id)
        )
    ).one()
    seq = await events.record(
        session,
        household_id=row.household_id,
        kind=kind,
        payload=event_payload(occurrence_id, row.chore_id, row.assignee_id, row.status, row.due_at),
    )
    # A new occurrence is announced once per chore, due time and person, however often it is
    # recomputed; a reassignment is news each time (moved away and back: two notifications).
    key = f"{seq}:{occurrence_id}"
    if kind in ("occurrence.created", "occurrence.reassigned") and row.assignee_id is not None:
        assigned_key = (
            f"assigned:{row.chore_id}:{row.due_at.isoformat()}"
            if kind == "occurrence.created"
            else f"assigned:{key}"
        )
        await notifications.notify(
            session,
            user_ids=[row.assignee_id],
            household_id=row.household_id,
            kind="assigned",
            text=f"{row.title} is yours ({row.assignment_reason})"[:500],
            dedupe_key=assigned_key,
            occurrence_id=occurrence_id,
        )
    if kind == "occurrence.reassigned" and previous_assignee not in (None, row.assignee_id):
        await notifications.notify(
            session,
            user_ids=[previous_assignee],
            household_id=row.household_id,
            kind="reassigned_away",
            text=f"{row.title} went to someone else",
            dedupe_key=f"reassigned_away:{key}",
            occurrence_id=occurrence_id,
        )
    if kind == "occurrence.completed" and row.assignee_id not in (None, row.completed_by):
        doer = await session.scalar(select(User.display_name).where(User.id == row.completed_by))
        await notifications.notify(
            session,
            user_ids=[row.assignee_id],
            household_id=row.household_id,
            kind="completed_by_other",
            text=f"{doer or 'Someone'} did {row.title} for you",
            dedupe_key=f"completed_by_other:{key}",
            occurrence_id=occurrence_id,
        )


async def household_tz(session: AsyncSession, household_id: uuid.UUID) -> str:
    # In a household operation the caller's membership holds the household (shared/users.py), so
    # the session finds it without a query.
    return (await session.get_one(Household, household_id)).timezone


async def _public(session: AsyncSession, occurrence_ids: Sequence[uuid.UUID]) -> list[OccurrencePublic]:
    if not occurrence_ids:
        return []
    rows = await session.execute(
        select(Occurrence, Chore, User.display_name)
        .join(Chore, Chore.id == Occurrence.chore_id)
        .outerjoin(User, User.id == Occurrence.assignee_id)
        .where(Occurrence.id.in_(occurrence_ids))
        .order_by(Occurrence.due_at, Occurrence.id)
    )
    return [_to_public(occurrence, chore, name) for occurrence, chore, name in rows]


def _to_public(occurrence: Occurrence, chore: Chore, assignee_name: str | None) -> OccurrencePublic:
    return OccurrencePublic(
        id=occurrence.id,
        chore_id=chore.id,
        chore_title=chore.title,
        room=chore.room,
        due_at=occurrence.due_at,
        window_start=occurrence.window_start,
        all_day=chore.all_day,
        status=occurrence.status.value,
        assignee_id=occurrence.assignee_id,
        assignee_name=assignee_name,
        assignment_reason=occurrence.assignment_reason,
        for_user_id=occurrence.for_user_id,
        mode=chore.mode.value,
        effort_minutes=chore.effort_minutes,
        points=chore.points,
        completed_at=occurrence.completed_at,
        completed_by=occurrence.completed_by,
    )


async def list_for_household(
    session: AsyncSession, *, membership: Membership, query: OccurrenceQuery
) -> OccurrencesPublic:
    """Occurrences by due time; "today", "upcoming" and "overdue" are just filters."""
    statement = select(Occurrence.id).where(Occurrence.household_id == membership.household_id)
    if query.due_after is not None:
        statement = statement.where(Occurrence.due_at > query.due_after)
    if query.due_before is not None:
        statement = statement.where(Occurrence.due_at <= query.due_before)
    if query.mine:
        statement = statement.where(Occurrence.assignee_id == membership.user_id)
    if query.status:
        statement = statement.where(Occurrence.status.in_([Status(s) for s in query.status]))
    if query.chore_id is not None:
        statement = statement.where(Occurrence.chore_id == query.chore_id)
    ids = list(await session.scalars(statement.order_by(Occurrence.due_at, Occurrence.id).limit(query.limit)))
    data = await _public(session, ids)
    return OccurrencesPublic(data=data, count=len(data))


async def _load(
    session: AsyncSession, membership: Membership, occurrence_id: uuid.UUID
) -> tuple[Occurrence, Chore]:
    row = (
        await session.execute(
            select(Occurrence, Chore)
            .join(Chore, Chore.id == Occurrence.chore_id)
            .where(Occurrence.id == occurrence_id, Occurrence.household_id == membership.household_id)
        )
    ).first()
    if row is None:
        raise NotFound("no such occurrence in this household", code="occurrence-not-found")
    return row[0], row[1]


async def _check_member(session: AsyncSession, household_id: uuid.UUID, user_id: uuid.UUID) -> None:
    if await session.get(Membership, (household_id, user_id)) is None:
        raise Conflict("that person is not a member of this household", code="not-a-member")


async def complete(
    session: AsyncSession,
    *,
    membership: Membership,
    occurrence_id: uuid.UUID,
    data: CompletionCreate,
    idempotency_key: str | None,
) -> CompletionPublic:
    """Mark an occurrence done, credit the points, create the next one. Retries with the same
    Idempotency-Key replay the first answer; concurrent completions produce exactly one."""
    # Plain values: rollbacks below expire every loaded object.
    actor, household_id, role = membership.user_id, membership.household_id, membership.role
    occurrence, chore = await _load(session, membership, occurrence_id)
    if idempotency_key is not None:
        replay = await _replay(session, actor, occurrence_id, idempotency_key)
        if replay is not None:
            return replay
    credited = data.on_behalf_of or actor
    if credited != actor:
        if role.rank < Role.ADMIN.rank:
            raise Forbidden("only admins record chores on someone else's behalf", code="role-required")
        await _check_member(session, household_id, credited)
    if occurrence.for_user_id is not None and occurrence.for_user_id != credited:
        raise Forbidden("this is someone else's own instance of the chore", code="not-yours")
    now = datetime.now(UTC)
    due_at, for_user_id = occurrence.due_at, occurrence.for_user_id
    # The status guard is the lock: of many concurrent completions exactly one updates the row.
    claimed = await session.scalar(
        update(Occurrence)
        .where(Occurrence.id == occurrence_id, Occurrence.status == Status.OPEN)
        .values(status=Status.DONE, completed_at=now, completed_by=credited)
        .returning(Occurrence.id)
    )
    if claimed is None:
        await session.rollback()
        return await _replay_or_conflict(session, actor, occurrence_id, idempotency_key)
    entry_id = uuid.uuid4()
    try:
        await session.execute(
            insert(HistoryEntry).values(
                id=entry_id,
                household_id=household_id,
                chore_id=chore.id,
                occurrence_id=occurrence_id,
                event=Event.DONE,
                actor_id=actor,
                credited_id=credited,
                note=data.note,
                points=chore.points,
                effort_minutes=chore.effort_minutes,
                idempotency_key=idempotency_key,
            )
        )
    except sa.exc.IntegrityError:
        # The same key is being used for another occurrence at this very moment.
        await session.rollback()
        events.discard(session)
        return await _replay_or_conflict(session, actor, occurrence_id, idempotency_key)
    await announce(session, occurrence_id, "occurrence.completed")
    tz = await household_tz(session, household_id)
    created = await spawn_next(
        session, chore=chore, tz=tz, after=catch_up(due_at, now), completed_at=now, only_for=for_user_id
    )
    await events.commit(session)
    return await _completion(session, occurrence_id, entry_id, created)


def catch_up(due_at: datetime, now: datetime) -> datetime:
    """Where to look for the next due time after `due_at`: never a day or more behind now, so a
    late completion or a missed one does not create occurrences that are already over."""
    return max(due_at, now - MISSED_GRACE)


async def _replay_or_conflict(
    session: AsyncSession, actor: uuid.UUID, occurrence_id: uuid.UUID, key: str | None
) -> CompletionPublic:
    if key is not None:
        replay = await _replay(session, actor, occurrence_id, key)
        if replay is not None:
            return replay
    raise Conflict("this occurrence is not open any more", code="occurrence-not-open")


async def _completion(
    session: AsyncSession, occurrence_id: uuid.UUID, history_id: uuid.UUID, created: Sequence[uuid.UUID]
) -> CompletionPublic:
    occurrence = (await _public(session, [occurrence_id]))[0]
    following = await _public(session, created)
    return CompletionPublic(occurrence=occurrence, history_id=history_id, next=following)


async def _replay(
    session: AsyncSession, actor: uuid.UUID, occurrence_id: uuid.UUID, key: str
) -> CompletionPublic | None:
    """The first answer to this key again: the same completion and the occurrences it created."""
    entry = await session.scalar(
        select(HistoryEntry).where(HistoryEntry.actor_id == actor, HistoryEntry.idempotency_key == key)
    )
    if entry is None:
        return None
    if entry.occurrence_id != occurrence_id:
        raise Conflict("this Idempotency-Key was used for another occurrence", code="idempotency-key-reused")
    return await _completion(session, occurrence_id, entry.id, await _created_with(session, entry))


async def _created_with(session: AsyncSession, entry: HistoryEntry) -> list[uuid.UUID]:
    """Occurrences created in the same transaction as a history entry (now() is per transaction)."""
    return list(
        await session.scalars(
            select(Occurrence.id).where(
                Occurrence.chore_id == entry.chore_id,
                Occurrence.created_at == entry.created_at,
                Occurrence.id != entry.occurrence_id,
            )
        )
    )


async def undo(
    session: AsyncSession, *, membership: Membership, occurrence_id: uuid.UUID
) -> OccurrencePublic:
    """Reopen a completed occurrence: a new history row reverses the points; within 24 hours."""
    occurrence, chore = await _load(session, membership, occurrence_id)
    last = await session.scalar(
        select(HistoryEntry)
        .where(HistoryEntry.occurrence_id == occurrence_id)
        .order_by(HistoryEntry.created_at.desc(), HistoryEntry.id.desc())
        .limit(1)
    )
    if occurrence.status is not Status.DONE or last is None or last.event is not Event.DONE:
        raise Conflict("only a completed occurrence can be undone", code="not-completed")
    if membership.user_id not in (last.actor_id, last.credited_id) and membership.role.rank < Role.ADMIN.rank:
        raise Forbidden("only the person who completed it, or an admin, can undo it", code="not-yours")
    if datetime.now(UTC) - last.created_at > UNDO_WINDOW:
        raise Gone("completions can be undone for 24 hours only", code="undo-window-passed")
    # Guarded like completion: of two concurrent undos, one reopens and the other finds it open.
    reopened = await session.scalar(
        update(Occurrence)
        .where(Occurrence.id == occurrence_id, Occurrence.status == Status.DONE)
        .values(status=Status.OPEN, completed_at=None, completed_by=None)
        .returning(Occurrence.id)
    )
    if reopened is None:
        raise Conflict("only a completed occurrence can be undone", code="not-completed")
    session.add(
        HistoryEntry(
            id=uuid.uuid4(),
            household_id=chore.household_id,
            chore_id=chore.id,
            occurrence_id=occurrence_id,
            event=Event.UNDONE,
            actor_id=membership.user_id,
            credited_id=last.credited_id,
            points=-last.points,
            effort_minutes=-last.effort_minutes,
        )
    )
    # The occurrence this completion created goes again while nobody has touched it.
    withdrawn = list(
        await session.scalars(
            sa.delete(Occurrence)
            .where(Occurrence.id.in_(await _created_with(session, last)), Occurrence.status == Status.OPEN)
            .returning(Occurrence.id)
        )
    )
    for gone in withdrawn:
        await events.record(
            session,
            household_id=chore.household_id,
            kind="occurrence.withdrawn",
            payload={"occurrence_id": str(gone)},
        )
    await announce(session, occurrence_id, "occurrence.reopened")
    await events.commit(session)
    return (await _public(session, [occurrence_id]))[0]


async def skip(
    session: AsyncSession, *, membership: Membership, occurrence_id: uuid.UUID
) -> CompletionPublic:
    """Skip an open occurrence (no points); the next one is created at once."""
    occurrence, chore = await _load(session, membership, occurrence_id)
    _assignee_or_admin(membership, occurrence, "skip")
    skipped = await session.scalar(
        update(Occurrence)
        .where(Occurrence.id == occurrence_id, Occurrence.status == Status.OPEN)
        .values(status=Status.SKIPPED)
        .returning(Occurrence.id)
    )
    if skipped is None:
        raise Conflict("this occurrence is not open any more", code="occurrence-not-open")
    entry = HistoryEntry(
        id=uuid.uuid4(),
        household_id=chore.household_id,
        chore_id=chore.id,
        occurrence_id=occurrence_id,
        event=Event.SKIPPED,
        actor_id=membership.user_id,
        credited_id=occurrence.assignee_id,
    )
    session.add(entry)
    await session.flush()
    await announce(session, occurrence_id, "occurrence.skipped")
    tz = await household_tz(session, chore.household_id)
    now = datetime.now(UTC)
    created = await spawn_next(
        session,
        chore=chore,
        tz=tz,
        after=catch_up(occurrence.due_at, now),
        completed_at=now,
        only_for=occurrence.for_user_id,
    )
    await events.commit(session)
    return await _completion(session, occurrence_id, entry.id, created)


def _assignee_or_admin(membership: Membership, occurrence: Occurrence, verb: str) -> None:
    if occurrence.assignee_id == membership.user_id or membership.role.rank >= Role.ADMIN.rank:
        return
    # Nobody's yet (a pool chore): any adult may act on it, not a child.
    if occurrence.assignee_id is None and membership.role.rank >= Role.MEMBER.rank:
        return
    raise Forbidden(f"only the assignee or an admin can {verb} this occurrence", code="not-yours")


async def _open(
    session: AsyncSession, membership: Membership, occurrence_id: uuid.UUID
) -> tuple[Occurrence, Chore]:
    occurrence, chore = await _load(session, membership, occurrence_id)
    await session.refresh(occurrence, with_for_update=True)
    if occurrence.status is not Status.OPEN:
        raise Conflict("this occurrence is not open any more", code="occurrence-not-open")
    return occurrence, chore


async def reschedule(
    session: AsyncSession, *, membership: Membership, occurrence_id: uuid.UUID, data: RescheduleRequest
) -> OccurrencePublic:
    """Move one open occurrence to another due time (the chore's schedule stays)."""
    occurrence, chore = await _open(session, membership, occurrence_id)
    _assignee_or_admin(membership, occurrence, "reschedule")
    clash = await session.scalar(
        select(Occurrence.id).where(
            Occurrence.chore_id == chore.id,
            Occurrence.due_at == data.due_at,
            Occurrence.for_user_id.is_not_distinct_from(occurrence.for_user_id),
            Occurrence.id != occurrence_id,
        )
    )
    if clash is not None:
        raise Conflict("this chore already has an occurrence due then", code="occurrence-exists")
    tz = await household_tz(session, chore.household_id)
    occurrence.due_at = data.due_at
    occurrence.window_start = local_day_start(data.due_at, tz, all_day=chore.all_day)
    try:
        await session.flush()
        await announce(session, occurrence_id, "occurrence.rescheduled")
        await events.commit(session)
    except sa.exc.IntegrityError:  # another reschedule took that time a moment ago
        await session.rollback()
        events.discard(session)
        raise Conflict("this chore already has an occurrence due then", code="occurrence-exists") from None
    return (await _public(session, [occurrence_id]))[0]


async def reassign(
    session: AsyncSession, *, membership: Membership, occurrence_id: uuid.UUID, data: ReassignRequest
) -> OccurrencePublic:
    """Give an open occurrence to another member."""
    occurrence, chore = await _open(session, membership, occurrence_id)
    _assignee_or_admin(membership, occurrence, "reassign")
    if chore.mode is Mode.EACH_OF:
        raise Conflict("in an 'each of' chore everyone has their own occurrence", code="each-of")
    await _check_member(session, membership.household_id, data.assignee_id)
    name = await session.scalar(select(User.display_name).where(User.id == membership.user_id))
    previous = occurrence.assignee_id
    occurrence.assignee_id = data.assignee_id
    occurrence.assignment_reason = f"reassigned by {name}"
    await session.flush()
    await announce(session, occurrence_id, "occurrence.reassigned", previous_assignee=previous)
    await events.commit(session)
    return (await _public(session, [occurrence_id]))[0]


async def claim(
    session: AsyncSession, *, membership: Membership, occurrence_id: uuid.UUID
) -> OccurrencePublic:
    """Take an unclaimed pool occurrence."""
    _, chore = await _load(session, membership, occurrence_id)
    if chore.mode is not Mode.POOL:
        raise Conflict("only pool chores are claimed", code="not-a-pool-chore")
    claimed = await session.scalar(
        update(Occurrence)
        .where(
            Occurrence.id == occurrence_id, Occurrence.status == Status.OPEN, Occurrence.assignee_id.is_(None)
        )
        .values(assignee_id=membership.user_id, assignment_reason="claimed from the pool")
        .returning(Occurrence.id)
    )
    if claimed is None:
        raise Conflict("someone has claimed it already, or it is closed", code="already-claimed")
    await announce(session, occurrence_id, "occurrence.claimed")
    await events.commit(session)
    return (await _public(session, [occurrence_id]))[0]


async def release_member(session: AsyncSession, *, household_id: uuid.UUID, user_id: uuid.UUID) -> None:
    """Someone left the household: drop them from rotations and hand on what was theirs.

    Part of the caller's transaction.
    """
    chores_here = select(Chore.id).where(Chore.household_id == household_id)
    await session.execute(
        sa.delete(ChoreMember).where(ChoreMember.user_id == user_id, ChoreMember.chore_id.in_(chores_here))
    )
    await hand_on(session, household_id=household_id, user_id=user_id, why="the claimer left")


async def hand_on(
    session: AsyncSession,
    *,
    household_id: uuid.UUID,
    user_id: uuid.UUID,
    why: str,
    window: tuple[datetime, datetime] | None = None,
) -> None:
    """Hand on a member's open occurrences (those whose day starts inside `window`, if given).

    Their own "each of" instances go; "one of" occurrences are re-decided for the same due time
    among the others; pool occurrences they had claimed go back to the pool.
    """
    mine = [
        Occurrence.household_id == household_id,
        Occurrence.status == Status.OPEN,
        *(
            [Occurrence.window_start >= window[0], Occurrence.window_start < window[1]]
            if window is not None
            else []
        ),
    ]
    pooled = await session.scalars(
        update(Occurrence)
        .where(
            *mine,
            Occurrence.assignee_id == user_id,
            Occurrence.chore_id.in_(select(Chore.id).where(Chore.mode == Mode.POOL)),
        )
        .values(assignee_id=None, assignment_reason=f"back in the pool: {why}")
        .returning(Occurrence.id)
    )
    for occurrence_id in list(pooled):
        await announce(session, occurrence_id, "occurrence.released")
    released = list(
        await session.execute(
            sa.delete(Occurrence)
            .where(*mine, sa.or_(Occurrence.assignee_id == user_id, Occurrence.for_user_id == user_id))
            .returning(Occurrence.id, Occurrence.chore_id, Occurrence.due_at, Occurrence.for_user_id)
        )
    )
    tz = await household_tz(session, household_id)
    for gone_id, *_ in released:
        await events.record(
            session,
            household_id=household_id,
            kind="occurrence.withdrawn",
            payload={"occurrence_id": str(gone_id)},
        )
    for _, chore_id, due_at, for_user_id in released:
        if for_user_id is not None:
            continue  # their own instance of an "each of" chore
        chore = await session.get_one(Chore, chore_id)
        members = await eligible_members(session, chore)
        # Someone who left is no longer a member (so not eligible); someone away is passed over;
        # the turn goes to whoever follows the one before them.
        facts = Facts(
            members=members,
            away=await _away(session, household_id, local_date(due_at, tz, all_day=chore.all_day)),
            last_assignee=await _assignee_before(session, chore_id, due_at),
            load=await load_minutes(session, household_id, [m.user_id for m in members], until=due_at),
        )
        for created in await insert_planned(session, plan(chore, tz, due_at, facts)):
            await announce(session, created, "occurrence.created")
