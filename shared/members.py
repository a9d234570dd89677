"""Members of a household: listing, roles, removal and leaving. Each function owns its transaction.

Roles: owners may do anything; admins manage members and children (not other admins or owners);
a household always keeps at least one owner. Changes lock the household row and re-read the
caller's own membership after the lock, so two concurrent changes cannot both act on stale roles.
"""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared import events, notifications, occurrences
from shared.errors import Conflict, Forbidden, NotFound
from shared.models import Household, Membership, Role, User
from shared.schemas import MemberPublic, MembersPublic, MemberUpdate


def to_public(membership: Membership, user: User) -> MemberPublic:
    return MemberPublic(
        user_id=user.id,
        display_name=user.display_name,
        email=user.email,
        role=membership.role.value,
        joined_at=membership.joined_at,
    )


async def list_for_household(session: AsyncSession, *, household_id: uuid.UUID) -> MembersPublic:
    """Members of a household, owners first, then by joining date."""
    rows = await session.execute(
        select(Membership, User)
        .join(User, User.id == Membership.user_id)
        .where(Membership.household_id == household_id)
        .order_by(Membership.joined_at, User.id)
    )
    data = sorted((to_public(m, u) for m, u in rows), key=lambda member: -Role(member.role).rank)
    return MembersPublic(data=data, count=len(data))


async def _lock(session: AsyncSession, caller: Membership, *, at_least: Role) -> Membership:
    """Lock the household, then re-read the caller's role: it may have changed while we waited."""
    locked = await session.scalar(
        select(Household.id).where(Household.id == caller.household_id).with_for_update()
    )
    current = await _read(session, caller.household_id, caller.user_id)
    if locked is None or current is None:
        raise NotFound("household not found", code="household-not-found")
    if current.role.rank < at_least.rank:
        raise Forbidden(f"this needs the {at_least.value} role in this household", code="role-required")
    return current


async def _read(session: AsyncSession, household_id: uuid.UUID, user_id: uuid.UUID) -> Membership | None:
    return await session.get(Membership, (household_id, user_id), populate_existing=True)


async def _target(session: AsyncSession, household_id: uuid.UUID, user_id: uuid.UUID) -> Membership:
    target = await _read(session, household_id, user_id)
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


def _manages(caller: Membership, target: Membership, new_role: Role | None = None) -> bool:
    """Whether the caller may change or remove the target (to `new_role`, if given)."""
    if caller.role is Role.OWNER:
        return True
    stepping_down = (
        caller.user_id == target.user_id and new_role is not None and new_role.rank < caller.role.rank
    )
    touches_admins = target.role.rank >= Role.ADMIN.rank or (
        new_role is not None and new_role.rank >= Role.ADMIN.rank
    )
    return stepping_down or not touches_admins


async def _announce(session: AsyncSession, membership: Membership, kind: str) -> None:
    seq = await events.record(
        session,
        household_id=membership.household_id,
        kind=kind,
        payload={"user_id": str(membership.user_id), "role": membership.role.value},
    )
    if kind in ("member.left", "member.removed"):
        await notifications.member_change(
            session, household_id=membership.household_id, user_id=membership.user_id, joined=False, seq=seq
        )


async def _keep_an_owner(session: AsyncSession, target: Membership) -> None:
    if target.role is Role.OWNER and await _owners(session, target.household_id) <= 1:
        raise Conflict("a household needs an owner: make someone else owner first", code="last-owner")


async def update(
    session: AsyncSession, *, membership: Membership, user_id: uuid.UUID, data: MemberUpdate
) -> MemberPublic:
    """Change a member's role."""
    caller = await _lock(session, membership, at_least=Role.ADMIN)
    target = await _target(session, caller.household_id, user_id)
    new_role = Role(data.role)
    if not _manages(caller, target, new_role):
        raise Forbidden("only an owner can grant or take away the admin or owner role", code="owner-required")
    if new_role is not Role.OWNER:
        await _keep_an_owner(session, target)
    target.role = new_role
    await session.flush()
    await _announce(session, target, "member.role_changed")
    await events.commit(session)
    return to_public(target, await session.get_one(User, user_id))


async def remove(session: AsyncSession, *, membership: Membership, user_id: uuid.UUID) -> None:
    """Remove someone from the household."""
    caller = await _lock(session, membership, at_least=Role.ADMIN)
    target = await _target(session, caller.household_id, user_id)
    if not _manages(caller, target):
        raise Forbidden("only an owner can remove an admin or an owner", code="owner-required")
    await _keep_an_owner(session, target)
    await session.delete(target)
    await session.flush()
    await occurrences.release_member(session, household_id=target.household_id, user_id=target.user_id)
    await _announce(session, target, "member.removed")
    await events.commit(session)


async def leave(session: AsyncSession, *, membership: Membership) -> None:
    """Leave a household; the last owner must hand over first (or delete it, if alone)."""
    caller = await _lock(session, membership, at_least=Role.CHILD)
    if caller.role is Role.OWNER and await _owners(session, caller.household_id) <= 1:
        alone = await session.scalar(
            select(func.count()).select_from(Membership).where(Membership.household_id == caller.household_id)
        )
        advice = "delete the household instead" if alone == 1 else "make someone else owner first"
        raise Conflict(f"a household needs an owner: {advice}", code="last-owner")
    await session.delete(caller)
    await session.flush()
    await occurrences.release_member(session, household_id=caller.household_id, user_id=caller.user_id)
    await _announce(session, caller, "member.left")
    await events.commit(session)
