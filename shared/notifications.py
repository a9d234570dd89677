"""Notifications: each user's feed (written by services and the remind job) and their settings.

A user sees only the notifications of households they still belong to: leaving or being removed
takes that household's items out of the feed, the unread count and `mark_read` at once (rows are
kept, so they come back if the person rejoins).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import time
from typing import cast

from sqlalchemy import ColumnElement, Uuid, all_, func, literal, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from shared.models import Membership, Notification, User
from shared.schemas import (
    NOTIFICATION_KINDS,
    MarkReadIds,
    MarkReadRequest,
    MarkReadResult,
    NotificationCursor,
    NotificationKind,
    NotificationPublic,
    NotificationQuery,
    NotificationSettingsPublic,
    NotificationSettingsUpdate,
    NotificationsPage,
    QuietHoursPublic,
)


async def notify(
    session: AsyncSession,
    *,
    user_ids: Iterable[uuid.UUID],
    household_id: uuid.UUID,
    kind: NotificationKind,
    text: str,
    dedupe_key: str,
    occurrence_id: uuid.UUID | None = None,
) -> None:
    """Add one notification to each user's feed, unless they muted `kind` or already have `dedupe_key`.

    One statement for all users, in the caller's transaction (no commit).
    """
    recipients = list(dict.fromkeys(user_ids))
    if not recipients:
        return
    if not 1 <= len(dedupe_key) <= 200:
        raise ValueError("dedupe_key must be 1 to 200 characters")
    rows = select(
        func.gen_random_uuid(),
        User.id,
        literal(household_id, Uuid),
        literal(kind),
        literal(occurrence_id, Uuid),
        literal(text),
        literal(dedupe_key),
    ).where(User.id.in_(recipients), literal(kind) != all_(User.muted_kinds))  # <> ALL: true for {}
    await session.execute(
        insert(Notification)
        .from_select(["id", "user_id", "household_id", "kind", "occurrence_id", "text", "dedupe_key"], rows)
        .on_conflict_do_nothing(constraint="uq_notifications_dedupe")
    )


async def member_change(
    session: AsyncSession, *, household_id: uuid.UUID, user_id: uuid.UUID, joined: bool, seq: int
) -> None:
    """Tell the other members that someone joined or left (caller's transaction)."""
    name = await session.scalar(select(User.display_name).where(User.id == user_id))
    others = await session.scalars(
        select(Membership.user_id).where(
            Membership.household_id == household_id, Membership.user_id != user_id
        )
    )
    kind: NotificationKind = "member_joined" if joined else "member_left"
    await notify(
        session,
        user_ids=list(others),
        household_id=household_id,
        kind=kind,
        text=f"{name or 'Someone'} {'joined' if joined else 'left'} the household",
        dedupe_key=f"{kind}:{household_id}:{seq}",  # seq is per household
    )


def _visible(user_id: uuid.UUID) -> ColumnElement[bool]:
    """The user's own notifications, of households they still belong to."""
    member = (
        select(Membership.user_id)
        .where(Membership.household_id == Notification.household_id, Membership.user_id == user_id)
        .exists()
    )
    # A kind this code does not know yet (written by a newer job) is left out rather than failing
    # the whole page.
    return (Notification.user_id == user_id) & member & Notification.kind.in_(NOTIFICATION_KINDS)


async def list_for_user(
    session: AsyncSession, *, user_id: uuid.UUID, query: NotificationQuery
) -> NotificationsPage:
    """The user's notifications newest first, a page at a time, with their unread count."""
    statement = select(Notification).where(_visible(user_id))
    if query.unread:
        statement = statement.where(Notification.read_at.is_(None))
    if query.household_id is not None:
        statement = statement.where(Notification.household_id == query.household_id)
    if query.before is not None:
        # Keyset paging, as in history: stable while new notifications arrive.
        last_id = query.before_id or uuid.UUID(int=(1 << 128) - 1)
        statement = statement.where(
            tuple_(Notification.created_at, Notification.id) < (query.before, last_id)
        )
    rows = list(
        await session.scalars(
            statement.order_by(Notification.created_at.desc(), Notification.id.desc()).limit(query.limit + 1)
        )
    )
    more = len(rows) > query.limit
    rows = rows[: query.limit]
    unread = await session.scalar(
        select(func.count())
        .select_from(Notification)
        .where(_visible(user_id), Notification.read_at.is_(None))
    )
    last = rows[-1] if more else None
    return NotificationsPage(
        data=[
            NotificationPublic(
                id=row.id,
                household_id=row.household_id,
                kind=cast(NotificationKind, row.kind),
                text=row.text,
                occurrence_id=row.occurrence_id,
                created_at=row.created_at,
                read=row.read_at is not None,
            )
            for row in rows
        ],
        next=NotificationCursor(before=last.created_at, before_id=last.id) if last else None,
        unread_count=unread or 0,
    )


async def mark_read(session: AsyncSession, *, user_id: uuid.UUID, request: MarkReadRequest) -> MarkReadResult:
    """Mark some of the user's notifications read (by id, or all up to a time); idempotent."""
    chosen = request.root
    which: ColumnElement[bool]
    if isinstance(chosen, MarkReadIds):
        if not chosen.ids:
            return MarkReadResult(marked=0)
        which = Notification.id.in_(chosen.ids)
    else:
        which = Notification.created_at <= chosen.all_before
    marked = await session.scalars(
        update(Notification)
        .where(_visible(user_id), Notification.read_at.is_(None), which)
        .values(read_at=func.now())
        .returning(Notification.id)
    )
    count = len(list(marked))
    await session.commit()
    return MarkReadResult(marked=count)


def get_settings(*, user: User) -> NotificationSettingsPublic:
    """The user's quiet hours and muted kinds."""
    quiet = None
    if user.quiet_start is not None and user.quiet_end is not None:
        quiet = QuietHoursPublic(
            start=user.quiet_start.strftime("%H:%M"), end=user.quiet_end.strftime("%H:%M")
        )
    return NotificationSettingsPublic(
        quiet_hours=quiet,
        muted_kinds=[kind for kind in NOTIFICATION_KINDS if kind in user.muted_kinds],
        timezone=user.timezone,
    )


async def update_settings(
    session: AsyncSession, *, user: User, data: NotificationSettingsUpdate
) -> NotificationSettingsPublic:
    """Change the user's quiet hours or muted kinds; fields left out stay as they are."""
    if "quiet_hours" in data.model_fields_set:
        quiet = data.quiet_hours
        if quiet is None or quiet.start == quiet.end:
            # Equal times would be a window of no length: stored as "no quiet hours".
            user.quiet_start = user.quiet_end = None
        else:
            user.quiet_start, user.quiet_end = time.fromisoformat(quiet.start), time.fromisoformat(quiet.end)
    if "muted_kinds" in data.model_fields_set:
        muted = set(data.muted_kinds or ())
        user.muted_kinds = [kind for kind in NOTIFICATION_KINDS if kind in muted]
    await session.commit()
    return get_settings(user=user)
