"""Households and their members. Each service function owns its transaction."""

from __future__ import annotations

import uuid

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.auth import Claims, signed_in_recently
from shared.errors import Conflict, Forbidden, NotFound
from shared.models import Household, Membership, Role, User
from shared.schemas import (
    HouseholdCreate,
    HouseholdPublic,
    HouseholdsPublic,
    HouseholdUpdate,
    MemberPublic,
    MembersPublic,
    MemberUpdate,
)
from shared.settings import get_settings


def _public(household: Household, role: Role, member_count: int) -> HouseholdPublic:
    return HouseholdPublic(
        id=household.id,
        name=household.name,
        timezone=household.timezone,
        role=role.value,
        member_count=member_count,
        created_at=household.created_at,
    )


async def _member_count(session: AsyncSession, household_id: uuid.UUID) -> int:
    count = await session.scalar(
        select(func.count()).select_from(Membership).where(Membership.household_id == household_id)
    )
    return count or 0


async def _lock(session: AsyncSession, household_id: uuid.UUID) -> Household:
    """Lock the household row: role changes and departures are serialised per household."""
    household = await session.scalar(select(Household).where(Household.id == household_id).with_for_update())
    if household is None:
        raise NotFound("household not found", code="household-not-found")
    return household


async def create(session: AsyncSession, *, user: User, data: HouseholdCreate) -> HouseholdPublic:
    """Create a household with the caller as its owner."""
    household = Household(id=uuid.uuid4(), name=data.name, timezone=data.timezone)
    session.add(household)
    await session.flush()
    session.add(Membership(household_id=household.id, user_id=user.id, role=Role.OWNER))
    await session.commit()
    await session.refresh(household, ["created_at"])
    return _public(household, Role.OWNER, 1)


async def list_for_user(session: AsyncSession, *, user: User) -> HouseholdsPublic:
    """The households the caller belongs to, by name."""
    counts = (
        select(Membership.household_id, func.count().label("n")).group_by(Membership.household_id).subquery()
    )
    rows = await session.execute(
        select(Household, Membership.role, counts.c.n)
        .join(Membership, Membership.household_id == Household.id)
        .join(counts, counts.c.household_id == Household.id)
        .where(Membership.user_id == user.id)
        .order_by(Household.name, Household.id)
    )
    data = [_public(household, role, n) for household, role, n in rows]
    return HouseholdsPublic(data=data, count=len(data))


async def get(session: AsyncSession, *, membership: Membership) -> HouseholdPublic:
    """One household, as seen by a member."""
    household = await session.get_one(Household, membership.household_id)
    return _public(household, membership.role, await _member_count(session, household.id))


async def update(session: AsyncSession, *, membership: Membership, data: HouseholdUpdate) -> HouseholdPublic:
    """Rename a household or change its time zone."""
    household = await session.get_one(Household, membership.household_id)
    for key, value in data.model_dump(exclude_unset=True, exclude_none=True).items():
        setattr(household, key, value)
    await session.commit()
    return _public(household, membership.role, await _member_count(session, household.id))


async def delete_household(session: AsyncSession, *, membership: Membership, claims: Claims) -> None:
    """Delete a household and everything in it; the owner must have signed in recently."""
    settings = get_settings()
    if not signed_in_recently(claims, settings):
        raise Forbidden(
            f"sign in again: deleting a household needs a sign-in within the last "
            f"{settings.recent_sign_in_seconds // 60} minutes",
            code="recent-sign-in-required",
        )
    await session.execute(delete(Household).where(Household.id == membership.household_id))
    await session.commit()


async def list_members(session: AsyncSession, *, household_id: uuid.UUID) -> MembersPublic:
    """Members of a household, owners first."""
    rows = await session.execute(
        select(Membership, User)
        .join(User, User.id == Membership.user_id)
        .where(Membership.household_id == household_id)
        .order_by(Membership.joined_at, User.id)
    )
    data = [_member(membership, user) for membership, user in rows]
    data.sort(key=lambda member: -Role(member.role).rank)
    return MembersPublic(data=data, count=len(data))


def _member(membership: Membership, user: User) -> MemberPublic:
    return MemberPublic(
        user_id=user.id,
        display_name=user.display_name,
        email=user.email,
        role=membership.role.value,
        joined_at=membership.joined_at,
    )


async def _target(session: AsyncSession, household_id: uuid.UUID, user_id: uuid.UUID) -> Membership:
    target = await session.get(Membership, (household_id, user_id))
    if target is None:
        raise NotFound("no such member in this household", code="member-not-found")
    return target


async def _owners(session: AsyncSession, household_id: uuid.UUID) -> int:
    count = await session.scalar(
        select(func.count())
        .select_from(Membership)
        .where(Membership.household_id == household_id, Membership.role == Role.OWNER)
    )
    return count or 0


async def update_member(
    session: AsyncSession, *, membership: Membership, user_id: uuid.UUID, data: MemberUpdate
) -> MemberPublic:
    """Change a member's role; owners are made and unmade only by owners, and one always remains."""
    await _lock(session, membership.household_id)
    target = await _target(session, membership.household_id, user_id)
    new_role = Role(data.role)
    if Role.OWNER in (target.role, new_role) and membership.role is not Role.OWNER:
        raise Forbidden("only an owner can grant or take away ownership", code="owner-required")
    leaves_no_owner = target.role is Role.OWNER and new_role is not Role.OWNER
    if leaves_no_owner and await _owners(session, membership.household_id) <= 1:
        raise Conflict("a household needs an owner: make someone else owner first", code="last-owner")
    target.role = new_role
    await session.commit()
    user = await session.get_one(User, user_id)
    return _member(target, user)


async def remove_member(session: AsyncSession, *, membership: Membership, user_id: uuid.UUID) -> None:
    """Remove someone from the household; admins and owners are removed only by owners."""
    await _lock(session, membership.household_id)
    target = await _target(session, membership.household_id, user_id)
    if target.role.rank >= Role.ADMIN.rank and membership.role is not Role.OWNER:
        raise Forbidden("only an owner can remove an admin or an owner", code="owner-required")
    await _depart(session, target)


async def leave(session: AsyncSession, *, membership: Membership) -> None:
    """Leave a household; the last owner must hand over first."""
    await _lock(session, membership.household_id)
    target = await _target(session, membership.household_id, membership.user_id)
    await _depart(session, target)


async def _depart(session: AsyncSession, target: Membership) -> None:
    if target.role is Role.OWNER and await _owners(session, target.household_id) <= 1:
        if await _member_count(session, target.household_id) <= 1:
            raise Conflict("you are the only member: delete the household instead", code="last-owner")
        raise Conflict("a household needs an owner: make someone else owner first", code="last-owner")
    await session.delete(target)
    await session.commit()
