"""Invites: short unguessable codes that admit people to a household, and joining by code."""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import case, func, literal, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import undefer

from shared import events, notifications
from shared.errors import Conflict, Forbidden, Gone, NotFound, TooManyRequests
from shared.households import ensure_room_for_another, to_public
from shared.models import Household, Invite, JoinThrottle, Membership, Role, User
from shared.schemas import HouseholdPublic, InviteCreate, InvitePublic, InvitesPublic, InviteStatus
from shared.settings import get_settings

# Crockford base32: no I, L, O or U, so codes survive being read aloud. 10 characters = 50 bits.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 10
_CONFUSABLE = str.maketrans({"O": "0", "I": "1", "L": "1"})
# Failures count until a day passes without one; the longest lockout is an hour.
FAILURE_WINDOW = timedelta(days=1)
MAX_LOCKOUT_SECONDS = 3600


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def normalize_code(raw: str) -> str | None:
    """Upper-case, drop separators, fix look-alikes; None if it cannot be a code."""
    code = "".join(ch for ch in raw.upper() if ch.isalnum()).translate(_CONFUSABLE)
    if len(code) != CODE_LENGTH or any(ch not in ALPHABET for ch in code):
        return None
    return code


def display_code(code: str) -> str:
    return f"{code[:5]}-{code[5:]}"


def _status(invite: Invite, now: datetime) -> InviteStatus:
    if invite.revoked_at is not None:
        return "revoked"
    if invite.uses >= invite.max_uses:
        return "used_up"
    if invite.expires_at <= now:
        return "expired"
    return "active"


def _public_invite(invite: Invite, now: datetime) -> InvitePublic:
    code = display_code(invite.code)
    return InvitePublic(
        id=invite.id,
        code=code,
        link=f"{get_settings().public_url.rstrip('/')}/join/{code}",
        role=invite.role.value,
        status=_status(invite, now),
        created_at=invite.created_at,
        expires_at=invite.expires_at,
        max_uses=invite.max_uses,
        uses=invite.uses,
        uses_left=max(invite.max_uses - invite.uses, 0),
    )


async def create(session: AsyncSession, *, membership: Membership, data: InviteCreate) -> InvitePublic:
    """Create an invite; codes are random, so a collision just draws again."""
    if data.role == "admin" and membership.role is not Role.OWNER:
        raise Forbidden("only an owner can invite admins", code="owner-required")
    household_id = membership.household_id
    now = datetime.now(UTC)
    for _ in range(5):
        invite_id = await session.scalar(
            insert(Invite)
            .values(
                id=uuid.uuid4(),
                household_id=household_id,
                code=new_code(),
                role=Role(data.role),
                created_by=membership.user_id,
                expires_at=now + timedelta(hours=data.expires_in_hours),
                max_uses=data.max_uses,
            )
            .on_conflict_do_nothing(index_elements=[Invite.code])
            .returning(Invite.id)
        )
        if invite_id is not None:
            break
    else:  # pragma: no cover - 50 bits of randomness
        raise Conflict("could not draw a free invite code; try again", code="invite-code-collision")
    await _announce(session, household_id, invite_id, "invite.created")
    await events.commit(session)
    invite = await session.get_one(Invite, invite_id)
    return _public_invite(invite, now)


async def _announce(session: AsyncSession, household_id: uuid.UUID, invite_id: uuid.UUID, kind: str) -> None:
    """Invites concern admins only: the event's audience is the household's admins and owners."""
    admins = await session.scalars(
        select(Membership.user_id).where(
            Membership.household_id == household_id, Membership.role.in_([Role.ADMIN, Role.OWNER])
        )
    )
    await events.record(
        session,
        household_id=household_id,
        kind=kind,
        payload={"invite_id": str(invite_id)},
        audience=list(admins),
    )


async def list_for_household(session: AsyncSession, *, household_id: uuid.UUID) -> InvitesPublic:
    """A household's invites, newest first, with their status."""
    now = datetime.now(UTC)
    invites = await session.scalars(
        select(Invite)
        .where(Invite.household_id == household_id)
        .order_by(Invite.created_at.desc(), Invite.id)
    )
    data = [_public_invite(invite, now) for invite in invites]
    return InvitesPublic(data=data, count=len(data))


async def revoke(session: AsyncSession, *, household_id: uuid.UUID, invite_id: uuid.UUID) -> None:
    """Revoke an invite; revoking twice is fine."""
    invite = await session.scalar(
        select(Invite).where(Invite.id == invite_id, Invite.household_id == household_id)
    )
    if invite is None:
        raise NotFound("no such invite in this household", code="invite-not-found")
    if invite.revoked_at is None:
        invite.revoked_at = datetime.now(UTC)
        await session.flush()
        await _announce(session, household_id, invite_id, "invite.revoked")
        await events.commit(session)


async def join(session: AsyncSession, *, user: User, raw_code: str) -> HouseholdPublic:
    """Join the household behind a code. Unknown codes count towards a growing lockout."""
    user_id = user.id  # rollbacks below expire `user`; ids stay valid
    await _hold_throttle(session, user_id=user_id)
    code = normalize_code(raw_code)
    invite = await session.scalar(select(Invite).where(Invite.code == code)) if code else None
    if invite is None:
        await _record_failure(session, user_id=user_id)
        raise NotFound("no invite has that code; check it and try again", code="invite-not-found")
    invite_id, household_id = invite.id, invite.household_id
    if await session.get(Membership, (household_id, user_id)) is not None:
        await session.rollback()
        raise Conflict("you are already a member of this household", code="already-member")
    await ensure_room_for_another(session, user_id)

    # One statement claims a use, so two people racing for the last use cannot both get in.
    role = await session.scalar(
        update(Invite)
        .where(
            Invite.id == invite_id,
            Invite.revoked_at.is_(None),
            Invite.expires_at > func.now(),
            Invite.uses < Invite.max_uses,
        )
        .values(uses=Invite.uses + 1)
        .returning(Invite.role)
    )
    if role is None:
        await session.rollback()
        raise _unusable(await session.get_one(Invite, invite_id, populate_existing=True))
    joined = await session.scalar(
        insert(Membership)
        .values(household_id=household_id, user_id=user_id, role=role)
        .on_conflict_do_nothing()
        .returning(literal(True))
    )
    if not joined:  # the same person joining twice at once
        await session.rollback()
        raise Conflict("you are already a member of this household", code="already-member")
    seq = await events.record(
        session,
        household_id=household_id,
        kind="member.joined",
        payload={"user_id": str(user_id), "role": role.value},
    )
    await notifications.member_change(
        session, household_id=household_id, user_id=user_id, joined=True, seq=seq
    )
    await events.commit(session)
    household = await session.get_one(
        Household, household_id, options=[undefer(Household.member_count)], populate_existing=True
    )
    return to_public(household, role, household.member_count)


def _unusable(invite: Invite) -> Gone:
    """The precise reason a code that exists cannot be used."""
    reasons = {
        "revoked": ("this invite was revoked; ask for a new one", "invite-revoked"),
        "used_up": ("this invite has been used up; ask for a new one", "invite-used-up"),
        "expired": ("this invite has expired; ask for a new one", "invite-expired"),
    }
    detail, code = reasons.get(
        _status(invite, datetime.now(UTC)), ("this invite cannot be used", "invite-unusable")
    )
    return Gone(detail, code=code)


async def _hold_throttle(session: AsyncSession, *, user_id: uuid.UUID) -> None:
    """Lock the caller's throttle row for this transaction and refuse while they are locked out.

    Holding the row until the failure is recorded makes parallel guesses wait their turn, so
    they cannot all slip past the check before any of them counts.
    """
    await session.execute(
        insert(JoinThrottle)
        .values(user_id=user_id, failures=0, last_failure_at=func.now(), locked_until=None)
        .on_conflict_do_nothing()
    )
    locked_until = await session.scalar(
        select(JoinThrottle.locked_until).where(JoinThrottle.user_id == user_id).with_for_update()
    )
    now = datetime.now(UTC)
    if locked_until is not None and locked_until > now:
        await session.rollback()
        wait = int((locked_until - now).total_seconds()) + 1
        raise TooManyRequests(
            f"too many wrong invite codes; try again in {wait} seconds", retry_after=wait, code="join-locked"
        )


async def _record_failure(session: AsyncSession, *, user_id: uuid.UUID) -> None:
    """Count a wrong code; from the Nth within a day on, lock for 30 s, doubling up to an hour.

    Per user only, and new accounts are free: the real protection is the 50 bits of a code.
    This makes guessing from one account slow and shows up in the logs as 429s.
    """
    threshold = get_settings().join_failures_before_lockout
    now = func.now()
    recent = JoinThrottle.last_failure_at > now - FAILURE_WINDOW
    failures = case((recent, JoinThrottle.failures + 1), else_=1)
    doublings = func.least(func.greatest(failures - threshold, 0), 7)  # 30 s * 2^7 > an hour
    lockout = func.least(30 * func.power(2, doublings), MAX_LOCKOUT_SECONDS)
    statement = insert(JoinThrottle).values(
        user_id=user_id, failures=1, last_failure_at=now, locked_until=None
    )
    statement = statement.on_conflict_do_update(
        index_elements=[JoinThrottle.user_id],
        set_={
            "failures": failures,
            "last_failure_at": now,
            "locked_until": case(
                (failures >= threshold, now + func.make_interval(0, 0, 0, 0, 0, 0, lockout)),
                else_=None,
            ),
        },
    )
    await session.execute(statement)
    await session.commit()
