"""Chores: what a household does again and again, for whom, and on which schedule.

Each service function owns its transaction. A change to the schedule, the eligible members, the
strategy or the mode replaces the chore's open occurrences with freshly computed ones.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared import events, occurrences, schedules
from shared.errors import Conflict, NotFound
from shared.models import (
    Chore,
    ChoreMember,
    Membership,
    MissedPolicy,
    Mode,
    Occurrence,
    Status,
    Strategy,
)
from shared.schemas import (
    ChoreCreate,
    ChorePublic,
    ChoresPublic,
    ChoreUpdate,
    EligibleMember,
    SchedulePreview,
    SchedulePreviewRequest,
)

# Changing these recomputes the open occurrences.
RECOMPUTING = frozenset({"schedule", "eligible", "strategy", "mode", "paused"})


async def _check_eligible(session: AsyncSession, household_id: uuid.UUID, user_ids: list[uuid.UUID]) -> None:
    members = set(
        await session.scalars(
            select(Membership.user_id).where(
                Membership.household_id == household_id, Membership.user_id.in_(user_ids)
            )
        )
    )
    strangers = [str(user_id) for user_id in user_ids if user_id not in members]
    if strangers:
        raise Conflict(
            f"not members of this household: {', '.join(strangers)}", code="not-a-member", user_ids=strangers
        )


def _rule_columns(schedule: Any) -> dict[str, Any]:
    rule = schedules.compile_schedule(schedule)
    return {
        "schedule": schedule.model_dump(mode="json"),
        "rrule": rule.rrule,
        "dtstart": rule.dtstart,
        "all_day": rule.all_day,
        "anchor": rule.anchor,
    }


async def _set_eligible(session: AsyncSession, chore_id: uuid.UUID, user_ids: list[uuid.UUID]) -> None:
    await session.execute(sa.delete(ChoreMember).where(ChoreMember.chore_id == chore_id))
    session.add_all(
        ChoreMember(chore_id=chore_id, user_id=user_id, position=index)
        for index, user_id in enumerate(user_ids)
    )
    await session.flush()


async def _withdraw_open(session: AsyncSession, chore: Chore) -> None:
    """Delete the chore's open occurrences, telling subscribers which ones went."""
    gone = await session.scalars(
        sa.delete(Occurrence)
        .where(Occurrence.chore_id == chore.id, Occurrence.status == Status.OPEN)
        .returning(Occurrence.id)
    )
    for occurrence_id in list(gone):
        await events.record(
            session,
            household_id=chore.household_id,
            kind="occurrence.withdrawn",
            payload={"occurrence_id": str(occurrence_id)},
        )


async def _refresh_open(session: AsyncSession, chore: Chore) -> None:
    """Replace the open occurrences with the next ones the current settings give."""
    await _withdraw_open(session, chore)
    tz = await occurrences.household_tz(session, chore.household_id)
    await occurrences.spawn_next(session, chore=chore, tz=tz, after=datetime.now(UTC))


async def create(session: AsyncSession, *, membership: Membership, data: ChoreCreate) -> ChorePublic:
    """Create a chore and its first occurrence."""
    await _check_eligible(session, membership.household_id, data.eligible)
    chore = Chore(
        id=uuid.uuid4(),
        household_id=membership.household_id,
        title=data.title,
        notes=data.notes,
        room=data.room,
        labels=list(data.labels),
        effort_minutes=data.effort_minutes,
        points=data.points,
        strategy=Strategy(data.strategy),
        mode=Mode(data.mode),
        missed_policy=MissedPolicy(data.missed_policy),
        paused=data.paused,
        created_by=membership.user_id,
        **_rule_columns(data.schedule),
    )
    session.add(chore)
    await session.flush()
    await _set_eligible(session, chore.id, data.eligible)
    await _refresh_open(session, chore)
    await _announce(session, chore, "chore.created")
    await events.commit(session)
    return await get(session, household_id=membership.household_id, chore_id=chore.id)


async def _announce(session: AsyncSession, chore: Chore, kind: str) -> None:
    await events.record(
        session,
        household_id=chore.household_id,
        kind=kind,
        payload={"chore_id": str(chore.id), "title": chore.title},
    )


async def _chore(
    session: AsyncSession, household_id: uuid.UUID, chore_id: uuid.UUID, *, lock: bool = False
) -> Chore:
    """The chore; with `lock`, its row is locked, so that changes to it (and materialize) take turns."""
    query = select(Chore).where(Chore.id == chore_id, Chore.household_id == household_id)
    chore = await session.scalar(query.with_for_update() if lock else query)
    if chore is None:
        raise NotFound("no such chore in this household", code="chore-not-found")
    return chore


async def _publics(session: AsyncSession, chores: list[Chore]) -> list[ChorePublic]:
    ids = [chore.id for chore in chores]
    eligible: dict[uuid.UUID, list[EligibleMember]] = {chore_id: [] for chore_id in ids}
    for chore_id, candidate in await _eligible_rows(session, ids):
        eligible[chore_id].append(candidate)
    next_due: dict[uuid.UUID, datetime] = {
        chore_id: due
        for chore_id, due in await session.execute(
            select(Occurrence.chore_id, func.min(Occurrence.due_at))
            .where(Occurrence.chore_id.in_(ids), Occurrence.status == Status.OPEN)
            .group_by(Occurrence.chore_id)
        )
    }
    return [
        ChorePublic(
            id=chore.id,
            household_id=chore.household_id,
            title=chore.title,
            notes=chore.notes,
            room=chore.room,
            labels=chore.labels,
            effort_minutes=chore.effort_minutes,
            points=chore.points,
            eligible=eligible[chore.id],
            strategy=chore.strategy.value,
            mode=chore.mode.value,
            missed_policy=chore.missed_policy.value,
            schedule=chore.schedule,
            rule=schedules.rule_text(occurrences.rule_of(chore)),
            paused=chore.paused,
            archived=chore.archived_at is not None,
            next_due_at=next_due.get(chore.id),
            created_at=chore.created_at,
        )
        for chore in chores
    ]


async def _eligible_rows(
    session: AsyncSession, chore_ids: list[uuid.UUID]
) -> list[tuple[uuid.UUID, EligibleMember]]:
    return [
        (chore_id, EligibleMember(user_id=candidate.user_id, display_name=candidate.name))
        for chore_id, candidate in await occurrences.eligible_members_of(session, chore_ids)
    ]


async def get(session: AsyncSession, *, household_id: uuid.UUID, chore_id: uuid.UUID) -> ChorePublic:
    """One chore with its eligible members and next due time."""
    return (await _publics(session, [await _chore(session, household_id, chore_id)]))[0]


async def list_for_household(
    session: AsyncSession, *, household_id: uuid.UUID, include_archived: bool
) -> ChoresPublic:
    """A household's chores by title."""
    statement = select(Chore).where(Chore.household_id == household_id)
    if not include_archived:
        statement = statement.where(Chore.archived_at.is_(None))
    chores = list(await session.scalars(statement.order_by(Chore.title, Chore.id)))
    data = await _publics(session, chores)
    return ChoresPublic(data=data, count=len(data))


async def update(
    session: AsyncSession, *, membership: Membership, chore_id: uuid.UUID, data: ChoreUpdate
) -> ChorePublic:
    """Change a chore; schedule, eligibility, strategy, mode or pause changes recompute its open
    occurrence. A field sent with the value it has is no change (a form sends every field)."""
    chore = await _chore(session, membership.household_id, chore_id, lock=True)
    changes = data.model_dump(exclude_unset=True, exclude_none=True)
    if chore.archived_at is not None:
        raise Conflict("an archived chore cannot be changed", code="chore-archived")
    recompute = False
    if data.eligible is not None:
        current = await session.scalars(
            select(ChoreMember.user_id).where(ChoreMember.chore_id == chore.id).order_by(ChoreMember.position)
        )
        if list(current) != data.eligible:
            await _check_eligible(session, membership.household_id, data.eligible)
            await _set_eligible(session, chore.id, data.eligible)
            recompute = True
    if data.schedule is not None:
        for column, value in _rule_columns(data.schedule).items():
            if getattr(chore, column) != value:
                setattr(chore, column, value)
                recompute = True
    enums: dict[str, Any] = {"strategy": Strategy, "mode": Mode, "missed_policy": MissedPolicy}
    if "room" in data.model_fields_set and data.room is None:
        chore.room = None  # an explicit null clears the room; other fields ignore null
    for field in ("title", "notes", "room", "labels", "effort_minutes", "points", "paused", *enums):
        if field in changes:
            value = enums[field](changes[field]) if field in enums else changes[field]
            if getattr(chore, field) != value:
                setattr(chore, field, value)
                recompute = recompute or field in RECOMPUTING
    await session.flush()
    if recompute:
        await _refresh_open(session, chore)
    await _announce(session, chore, "chore.updated")
    await events.commit(session)
    return await get(session, household_id=membership.household_id, chore_id=chore_id)


async def archive(session: AsyncSession, *, membership: Membership, chore_id: uuid.UUID) -> None:
    """Archive a chore: it keeps its history, loses its open occurrences, and is no longer scheduled."""
    chore = await _chore(session, membership.household_id, chore_id, lock=True)
    if chore.archived_at is None:
        chore.archived_at = datetime.now(UTC)
        await _withdraw_open(session, chore)
        await _announce(session, chore, "chore.archived")
        await events.commit(session)


async def preview(
    session: AsyncSession, *, household_id: uuid.UUID, data: SchedulePreviewRequest
) -> SchedulePreview:
    """The next due times of a proposed schedule, in the household's time zone."""
    tz = await occurrences.household_tz(session, household_id)
    rule = schedules.compile_schedule(data.schedule)
    due = schedules.preview(data.schedule, tz, now=datetime.now(UTC), limit=data.count)
    return SchedulePreview(rule=schedules.rule_text(rule), due_at=due)
