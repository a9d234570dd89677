"""History and points: what was done, by whom, and the leaderboard built from it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import case, func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from shared.models import Chore, Event, HistoryEntry, Membership, User
from shared.schemas import (
    HistoryCursor,
    HistoryPage,
    HistoryPublic,
    HistoryQuery,
    Leaderboard,
    LeaderboardEntry,
)


async def list_for_household(
    session: AsyncSession, *, household_id: uuid.UUID, query: HistoryQuery
) -> HistoryPage:
    """History newest first, by chore or member, a page at a time."""
    statement = (
        select(HistoryEntry, Chore.title, User.display_name)
        .join(Chore, Chore.id == HistoryEntry.chore_id)
        .outerjoin(User, User.id == HistoryEntry.credited_id)
        .where(HistoryEntry.household_id == household_id)
    )
    if query.chore_id is not None:
        statement = statement.where(HistoryEntry.chore_id == query.chore_id)
    if query.user_id is not None:
        statement = statement.where(HistoryEntry.credited_id == query.user_id)
    if query.before is not None:
        # Keyset paging: stable while new entries arrive, and no offset scans.
        last_id = query.before_id or uuid.UUID(int=(1 << 128) - 1)
        statement = statement.where(
            tuple_(HistoryEntry.created_at, HistoryEntry.id) < (query.before, last_id)
        )
    rows = list(
        await session.execute(
            statement.order_by(HistoryEntry.created_at.desc(), HistoryEntry.id.desc()).limit(query.limit + 1)
        )
    )
    more = len(rows) > query.limit
    rows = rows[: query.limit]
    data = [
        HistoryPublic(
            id=entry.id,
            chore_id=entry.chore_id,
            chore_title=title,
            occurrence_id=entry.occurrence_id,
            event=entry.event.value,
            actor_id=entry.actor_id,
            credited_id=entry.credited_id,
            credited_name=name,
            note=entry.note,
            points=entry.points,
            effort_minutes=entry.effort_minutes,
            created_at=entry.created_at,
        )
        for entry, title, name in rows
    ]
    last = rows[-1][0] if more else None
    return HistoryPage(
        data=data, next=HistoryCursor(before=last.created_at, before_id=last.id) if last else None
    )


async def leaderboard(session: AsyncSession, *, household_id: uuid.UUID, days: int) -> Leaderboard:
    """Points, effort-minutes and completions per member over the last `days` days (undos count back)."""
    since = datetime.now(UTC) - timedelta(days=days)
    completed = func.sum(
        case((HistoryEntry.event == Event.DONE, 1), (HistoryEntry.event == Event.UNDONE, -1), else_=0)
    )
    totals = (
        select(
            HistoryEntry.credited_id.label("user_id"),
            func.sum(HistoryEntry.points).label("points"),
            func.sum(HistoryEntry.effort_minutes).label("effort"),
            completed.label("completed"),
        )
        .where(HistoryEntry.household_id == household_id, HistoryEntry.created_at > since)
        .group_by(HistoryEntry.credited_id)
        .subquery()
    )
    rows = await session.execute(
        select(User.id, User.display_name, totals.c.points, totals.c.effort, totals.c.completed)
        .join(Membership, Membership.user_id == User.id)
        .outerjoin(totals, totals.c.user_id == User.id)
        .where(Membership.household_id == household_id)
    )
    data = [
        LeaderboardEntry(
            user_id=user_id,
            display_name=name,
            points=int(points or 0),
            effort_minutes=int(effort or 0),
            completed=int(done or 0),
        )
        for user_id, name, points, effort, done in rows
    ]
    data.sort(key=lambda entry: (-entry.points, -entry.effort_minutes, entry.display_name))
    return Leaderboard(since=since, data=data)
