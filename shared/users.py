"""Users: created on first sight of a Firebase uid, and their own profile."""

from __future__ import annotations

import unicodedata
import uuid

from sqlalchemy import and_, bindparam, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import contains_eager

from shared import events
from shared.auth import Claims
from shared.models import Household, Membership, User
from shared.schemas import UserPublic, UserUpdate


def clean_name(text: str | None) -> str | None:
    """A display name from text the user controls elsewhere (their Firebase profile): no control or
    format characters (bidi overrides included), single spaces, at most 80 characters."""
    spaced = " ".join((text or "").split())  # tabs and newlines become spaces first
    kept = "".join(ch for ch in spaced if unicodedata.category(ch)[0] != "C")
    return " ".join(kept.split())[:80].strip() or None


def _default_name(claims: Claims) -> str:
    local_part = claims.email.split("@", 1)[0] if claims.email else None
    return clean_name(claims.name) or clean_name(local_part) or "Member"


# Built once: every authenticated request runs one of these, and building a statement (and its
# cache key) costs more than compiling it, which SQLAlchemy caches anyway.
_USER_BY_UID = select(User).where(User.firebase_uid == bindparam("uid"))
# A member's household, with its member count, comes in the same round trip
# (`membership.household`), so household operations start with it loaded: counting a household's
# few memberships is an index scan, cheaper than a second query for the operations that need it.
# Someone outside the household gets neither.
_CALLER_IN_HOUSEHOLD = (
    select(User, Membership)
    .outerjoin(
        Membership,
        and_(Membership.user_id == User.id, Membership.household_id == bindparam("household_id")),
    )
    .outerjoin(Household, Household.id == Membership.household_id)
    .options(contains_eager(Membership.household).undefer(Household.member_count))
    .where(User.firebase_uid == bindparam("uid"))
)


async def resolve_caller(
    session: AsyncSession, *, claims: Claims, household_id: uuid.UUID | None
) -> tuple[User, Membership | None]:
    """The caller's user row (created on first sight) and, if asked, their membership with its
    household loaded: one query."""
    if household_id is None:
        user = await session.scalar(_USER_BY_UID, {"uid": claims.uid})
        membership = None
    else:
        row = (
            await session.execute(_CALLER_IN_HOUSEHOLD, {"uid": claims.uid, "household_id": household_id})
        ).first()
        user, membership = (row[0], row[1]) if row else (None, None)
    if user is None:
        user = await _create(session, claims=claims)
    elif claims.email and user.email != claims.email:
        user.email = claims.email
        await session.commit()
    return user, membership


async def _create(session: AsyncSession, *, claims: Claims) -> User:
    # Two first requests can race; the loser takes the winner's row.
    statement = (
        insert(User)
        .values(
            id=uuid.uuid4(), firebase_uid=claims.uid, email=claims.email, display_name=_default_name(claims)
        )
        .on_conflict_do_update(index_elements=[User.firebase_uid], set_={"email": claims.email})
        .returning(User)
    )
    user = (await session.scalars(statement, execution_options={"populate_existing": True})).one()
    await session.commit()
    return user


def to_public(user: User) -> UserPublic:
    return UserPublic(
        id=user.id,
        email=user.email,
        display_name=user.display_name,
        timezone=user.timezone,
        created_at=user.created_at,
    )


async def update(session: AsyncSession, *, user: User, data: UserUpdate) -> UserPublic:
    """Change the caller's display name or time zone."""
    for key, value in data.model_dump(exclude_unset=True, exclude_none=True).items():
        setattr(user, key, value)
    await session.flush()
    # Every household they are in shows their name: each hears about the change.
    households = await session.scalars(select(Membership.household_id).where(Membership.user_id == user.id))
    for household_id in list(households):
        await events.record(
            session,
            household_id=household_id,
            kind="member.updated",
            payload={"user_id": str(user.id), "display_name": user.display_name},
        )
    await events.commit(session)
    return to_public(user)
