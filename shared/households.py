"""Households and their members. Each service function owns its transaction."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import undefer

from shared import events
from shared.auth import Claims, signed_in_recently
from shared.errors import Conflict, Forbidden
from shared.models import Household, Membership, Role, User
from shared.schemas import (
    HouseholdCreate,
    HouseholdPublic,
    HouseholdsPublic,
    HouseholdUpdate,
)
from shared.settings import get_settings


def to_public(household: Household, role: Role, member_count: int) -> HouseholdPublic:
    return HouseholdPublic(
        id=household.id,
        name=household.name,
        timezone=household.timezone,
        role=role.value,
        member_count=member_count,
        created_at=household.created_at,
    )


# After an update's flush the loaded count is expired (see Household.member_count): count again.
_MEMBER_COUNT = (
    select(func.count())
    .select_from(Membership)
    .where(Membership.household_id == sa.bindparam("household_id"))
)


async def member_count(session: AsyncSession, household_id: uuid.UUID) -> int:
    count = await session.scalar(_MEMBER_COUNT, {"household_id": household_id})
    return count or 0


# Every household a person belongs to travels in the relay's sign-in message (`since`, ~50 bytes
# each, within its 16 KiB) and in every list of theirs: one person belongs to at most this many.
MAX_HOUSEHOLDS_PER_USER = 100

_HOUSEHOLDS_OF = (
    select(func.count()).select_from(Membership).where(Membership.user_id == sa.bindparam("user_id"))
)


async def ensure_room_for_another(session: AsyncSession, user_id: uuid.UUID) -> None:
    """409 too-many-households when the person already belongs to MAX_HOUSEHOLDS_PER_USER. Locks
    their user row until the transaction ends, so two creates or joins at once cannot both pass."""
    await session.execute(select(User.id).where(User.id == user_id).with_for_update())
    if (await session.scalar(_HOUSEHOLDS_OF, {"user_id": user_id}) or 0) >= MAX_HOUSEHOLDS_PER_USER:
        raise Conflict(
            f"you belong to {MAX_HOUSEHOLDS_PER_USER} households, the most one person can; leave one first",
            code="too-many-households",
        )


async def create(session: AsyncSession, *, user: User, data: HouseholdCreate) -> HouseholdPublic:
    """Create a household with the caller as its owner."""
    await ensure_room_for_another(session, user.id)
    household = Household(id=uuid.uuid4(), name=data.name, timezone=data.timezone)
    session.add(household)
    await session.flush()
    session.add(Membership(household_id=household.id, user_id=user.id, role=Role.OWNER))
    await session.flush()
    await events.record(
        session, household_id=household.id, kind="household.created", payload={"name": household.name}
    )
    await events.commit(session)
    await session.refresh(household, ["created_at"])
    return to_public(household, Role.OWNER, 1)


async def list_for_user(session: AsyncSession, *, user: User) -> HouseholdsPublic:
    """The households the caller belongs to, by name."""
    rows = await session.execute(
        select(Household, Membership.role)
        .options(undefer(Household.member_count))
        .join(Membership, Membership.household_id == Household.id)
        .where(Membership.user_id == user.id)
        .order_by(Household.name, Household.id)
    )
    data = [to_public(household, role, household.member_count) for household, role in rows]
    return HouseholdsPublic(data=data, count=len(data))


async def get(session: AsyncSession, *, membership: Membership) -> HouseholdPublic:
    """One household, as seen by a member: the caller query loaded it (no SQL here)."""
    return to_public(membership.household, membership.role, membership.household.member_count)


async def update(session: AsyncSession, *, membership: Membership, data: HouseholdUpdate) -> HouseholdPublic:
    """Rename a household or change its time zone."""
    household = await session.get_one(Household, membership.household_id)
    for key, value in data.model_dump(exclude_unset=True, exclude_none=True).items():
        setattr(household, key, value)
    await session.flush()
    await events.record(
        session,
        household_id=household.id,
        kind="household.updated",
        payload={"name": household.name, "timezone": household.timezone},
    )
    await events.commit(session)
    return to_public(household, membership.role, await member_count(session, household.id))


async def delete(session: AsyncSession, *, membership: Membership, claims: Claims) -> None:
    """Delete a household and everything in it; the owner must have signed in recently."""
    settings = get_settings()
    if not signed_in_recently(claims, settings):
        raise Forbidden(
            f"sign in again: deleting a household needs a sign-in within the last "
            f"{settings.recent_sign_in_seconds // 60} minutes",
            code="recent-sign-in-required",
        )
    seq = await session.scalar(
        sa.delete(Household).where(Household.id == membership.household_id).returning(Household.event_seq + 1)
    )
    await session.commit()
    await events.publish_deletion(membership.household_id, int(seq or 1))
