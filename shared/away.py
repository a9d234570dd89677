"""Away periods: rotation passes over a member on these local dates, without counting it against them."""

from __future__ import annotations

import uuid
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shared import events, occurrences
from shared.errors import Conflict, Forbidden, NotFound
from shared.models import AwayPeriod, Membership, Role, User
from shared.schemas import AwayCreate, AwayPublic, AwaysPublic


async def create(session: AsyncSession, *, membership: Membership, data: AwayCreate) -> AwayPublic:
    """Record that a member (you, unless an admin names someone) is away."""
    user_id = data.user_id or membership.user_id
    if user_id != membership.user_id:
        if membership.role.rank < Role.ADMIN.rank:
            raise Forbidden("only admins set someone else away", code="role-required")
        if await session.get(Membership, (membership.household_id, user_id)) is None:
            raise Conflict("that person is not a member of this household", code="not-a-member")
    period = AwayPeriod(
        id=uuid.uuid4(),
        household_id=membership.household_id,
        user_id=user_id,
        starts_on=data.starts_on,
        ends_on=data.ends_on,
    )
    session.add(period)
    await session.flush()
    # What is already planned for them on those days goes to someone else.
    tz = await occurrences.household_tz(session, membership.household_id)
    zone = ZoneInfo(tz)
    window = (
        datetime.combine(period.starts_on, time(0), tzinfo=zone),
        datetime.combine(period.ends_on + timedelta(days=1), time(0), tzinfo=zone),
    )
    await occurrences.hand_on(
        session, household_id=membership.household_id, user_id=user_id, why="they are away", window=window
    )
    await events.record(
        session,
        household_id=membership.household_id,
        kind="away.set",
        payload={
            "away_id": str(period.id),
            "user_id": str(user_id),
            "starts_on": period.starts_on.isoformat(),
            "ends_on": period.ends_on.isoformat(),
        },
    )
    await events.commit(session)
    name = await session.scalar(select(User.display_name).where(User.id == user_id))
    return AwayPublic(
        id=period.id,
        user_id=user_id,
        display_name=name or "",
        starts_on=period.starts_on,
        ends_on=period.ends_on,
    )


async def list_for_household(session: AsyncSession, *, household_id: uuid.UUID) -> AwaysPublic:
    """Away periods in the household, by start date."""
    rows = await session.execute(
        select(AwayPeriod, User.display_name)
        .join(User, User.id == AwayPeriod.user_id)
        .where(AwayPeriod.household_id == household_id)
        .order_by(AwayPeriod.starts_on, AwayPeriod.id)
    )
    data = [
        AwayPublic(id=p.id, user_id=p.user_id, display_name=name, starts_on=p.starts_on, ends_on=p.ends_on)
        for p, name in rows
    ]
    return AwaysPublic(data=data, count=len(data))


async def delete(session: AsyncSession, *, membership: Membership, away_id: uuid.UUID) -> None:
    """Cancel an away period (your own, or anyone's as an admin)."""
    period = await session.scalar(
        select(AwayPeriod).where(AwayPeriod.id == away_id, AwayPeriod.household_id == membership.household_id)
    )
    if period is None:
        raise NotFound("no such away period in this household", code="away-not-found")
    if period.user_id != membership.user_id and membership.role.rank < Role.ADMIN.rank:
        raise Forbidden("only admins cancel someone else's away period", code="role-required")
    await session.execute(sa.delete(AwayPeriod).where(AwayPeriod.id == away_id))
    await events.record(
        session,
        household_id=membership.household_id,
        kind="away.cancelled",
        payload={"away_id": str(away_id), "user_id": str(period.user_id)},
    )
    await events.commit(session)
