"""SQLAlchemy 2 typed models: the one metadata Alembic migrates."""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    Time,
    UniqueConstraint,
    Uuid,
    func,
    select,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, column_property, mapped_column, relationship

# Stable constraint names, so migrations can drop and alter them.
NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Role(enum.StrEnum):
    OWNER = "owner"
    ADMIN = "admin"
    MEMBER = "member"
    CHILD = "child"

    @property
    def rank(self) -> int:
        return _RANK[self]


_RANK = {Role.CHILD: 0, Role.MEMBER: 1, Role.ADMIN: 2, Role.OWNER: 3}


def _now(*, on_update: bool = False) -> Mapped[datetime]:
    return mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now() if on_update else None
    )


def _enum(kind: type[enum.StrEnum], name: str) -> Enum:
    """A string column limited to the enum's values by a CHECK constraint (easier to migrate than
    a PostgreSQL enum type)."""
    return Enum(
        kind,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=16,
        values_callable=lambda members: [member.value for member in members],
    )


def _role_column() -> Mapped[Role]:
    return mapped_column(_enum(Role, "role"))


class User(Base):
    __tablename__ = "users"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    firebase_uid: Mapped[str] = mapped_column(String(128), unique=True)
    email: Mapped[str | None] = mapped_column(String(320))
    display_name: Mapped[str] = mapped_column(String(80))
    timezone: Mapped[str] = mapped_column(String(64), server_default="UTC")
    # No reminders between these local times (may wrap past midnight); both NULL = no quiet hours.
    quiet_start: Mapped[time | None] = mapped_column(Time)
    quiet_end: Mapped[time | None] = mapped_column(Time)
    # Notification kinds this user does not want in their feed.
    muted_kinds: Mapped[list[str]] = mapped_column(ARRAY(String(32)), server_default="{}")
    created_at: Mapped[datetime] = _now()
    updated_at: Mapped[datetime] = _now(on_update=True)


class Membership(Base):
    __tablename__ = "memberships"

    household_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("households.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    role: Mapped[Role] = _role_column()
    joined_at: Mapped[datetime] = _now()
    # Loaded only where a query asks for it (the runtime's caller query, shared/users.py); anywhere
    # else reading it raises instead of querying behind your back. A rollback or a reload of the
    # membership (populate_existing) unloads it again.
    household: Mapped[Household] = relationship(lazy="raise", viewonly=True)


class Household(Base):
    __tablename__ = "households"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(80))
    timezone: Mapped[str] = mapped_column(String(64))
    # The last event sequence number handed out; the outbox increments it in each transaction.
    event_seq: Mapped[int] = mapped_column(BigInteger, server_default="0")
    created_at: Mapped[datetime] = _now()
    updated_at: Mapped[datetime] = _now(on_update=True)
    # Counted, never stored, so it cannot drift from the memberships, and only by the queries that
    # ask for it (`undefer(Household.member_count)`); elsewhere reading it raises instead of querying.
    # The count is as of the load: a flush of the household, a rollback or a join or leave later in
    # the same session leave it unloaded or out of date.
    member_count: Mapped[int] = column_property(
        select(func.count())
        .where(Membership.household_id == id)
        .correlate_except(Membership)
        .scalar_subquery(),
        deferred=True,
        raiseload=True,
    )


class Invite(Base):
    __tablename__ = "invites"
    __table_args__ = (
        CheckConstraint("uses >= 0 AND uses <= max_uses", name="uses_within_max"),
        CheckConstraint("max_uses >= 1", name="max_uses_positive"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    household_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("households.id", ondelete="CASCADE"), index=True
    )
    # Stored normalised: upper case, no separators.
    code: Mapped[str] = mapped_column(String(16), unique=True)
    role: Mapped[Role] = _role_column()
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = _now()
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    max_uses: Mapped[int] = mapped_column(Integer)
    uses: Mapped[int] = mapped_column(Integer, server_default="0")
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class JoinThrottle(Base):
    """Failed invite-code attempts per user, so guessing codes gets slower and slower."""

    __tablename__ = "join_throttles"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer)
    last_failure_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Strategy(enum.StrEnum):
    FIXED = "fixed"
    ROUND_ROBIN = "round_robin"
    LEAST_LOADED = "least_loaded"
    RANDOM = "random"


class Mode(enum.StrEnum):
    ONE_OF = "one_of"  # one occurrence; whoever completes it closes it
    EACH_OF = "each_of"  # every eligible member gets their own occurrence
    POOL = "pool"  # unassigned until someone claims it


class MissedPolicy(enum.StrEnum):
    KEEP_OPEN = "keep_open"  # stays overdue
    ROLL_FORWARD = "roll_forward"  # marked missed; the next one is created
    AUTO_SKIP = "auto_skip"  # marked skipped; the next one is created


class Status(enum.StrEnum):
    OPEN = "open"
    DONE = "done"
    SKIPPED = "skipped"
    MISSED = "missed"


class Event(enum.StrEnum):
    """What a history row records."""

    DONE = "done"
    UNDONE = "undone"
    SKIPPED = "skipped"
    MISSED = "missed"


class Chore(Base):
    __tablename__ = "chores"
    __table_args__ = (
        CheckConstraint("effort_minutes BETWEEN 1 AND 1440", name="effort_range"),
        CheckConstraint("points BETWEEN 0 AND 1000", name="points_range"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    household_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("households.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(120))
    notes: Mapped[str] = mapped_column(Text, server_default="")
    room: Mapped[str | None] = mapped_column(String(60))
    labels: Mapped[list[str]] = mapped_column(ARRAY(String(40)), server_default="{}")
    effort_minutes: Mapped[int] = mapped_column(Integer)
    points: Mapped[int] = mapped_column(Integer)
    strategy: Mapped[Strategy] = mapped_column(_enum(Strategy, "strategy"))
    mode: Mapped[Mode] = mapped_column(_enum(Mode, "mode"))
    missed_policy: Mapped[MissedPolicy] = mapped_column(_enum(MissedPolicy, "missed_policy"))
    # The schedule as the editor sent it, and the RFC 5545 rule compiled from it: the rule, its local
    # start and the household's time zone are what expansion uses.
    schedule: Mapped[dict[str, Any]] = mapped_column(JSONB)
    rrule: Mapped[str] = mapped_column(String(500))
    dtstart: Mapped[datetime] = mapped_column(DateTime(timezone=False))
    all_day: Mapped[bool] = mapped_column(Boolean)
    anchor: Mapped[str] = mapped_column(String(16))
    paused: Mapped[bool] = mapped_column(Boolean, server_default="false")
    archived_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = _now()
    updated_at: Mapped[datetime] = _now(on_update=True)


class ChoreMember(Base):
    """Who may be assigned a chore, in rotation order."""

    __tablename__ = "chore_members"

    chore_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("chores.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)


class Occurrence(Base):
    """One due instance of a chore. Unique per (chore, due time, member it is for), so jobs can
    insert blindly and a second run adds nothing."""

    __tablename__ = "occurrences"
    __table_args__ = (
        UniqueConstraint(
            "chore_id",
            "due_at",
            "for_user_id",
            name="uq_occurrences_slot",
            postgresql_nulls_not_distinct=True,
        ),
        Index("ix_occurrences_household_due", "household_id", "due_at"),
        Index("ix_occurrences_open_due", "due_at", postgresql_where="status = 'open'"),
        # "Which chores have no open occurrence?" (materialize), without scanning closed ones.
        Index("ix_occurrences_open_chore", "chore_id", postgresql_where="status = 'open'"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    chore_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("chores.id", ondelete="CASCADE"))
    household_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("households.id", ondelete="CASCADE"))
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # When it may be done from (the local day's start for all-day chores, else the due time).
    window_start: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # "each of" chores have one occurrence per member; NULL for "one of" and pool chores.
    for_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    assignee_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    assignment_reason: Mapped[str] = mapped_column(Text, server_default="")
    status: Mapped[Status] = mapped_column(_enum(Status, "status"), server_default=Status.OPEN.value)
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    completed_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = _now()
    updated_at: Mapped[datetime] = _now(on_update=True)


class HistoryEntry(Base):
    """Append-only history: completions, undos, skips and misses, with the points they moved.
    An undo is a new row with negative points, never a delete."""

    __tablename__ = "history"
    __table_args__ = (
        UniqueConstraint("actor_id", "idempotency_key", name="uq_history_idempotency"),
        Index("ix_history_household_created", "household_id", "created_at"),
        Index("ix_history_credited_created", "credited_id", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    household_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("households.id", ondelete="CASCADE"))
    chore_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("chores.id", ondelete="CASCADE"), index=True)
    # SET NULL: when a schedule change replaces an open occurrence, its history stays.
    occurrence_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("occurrences.id", ondelete="SET NULL"), index=True
    )
    event: Mapped[Event] = mapped_column(_enum(Event, "event"))
    actor_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Who gets the credit: the assignee when someone completes on their behalf.
    credited_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    note: Mapped[str] = mapped_column(Text, server_default="")
    points: Mapped[int] = mapped_column(Integer, server_default="0")
    effort_minutes: Mapped[int] = mapped_column(Integer, server_default="0")
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = _now()


class AwayPeriod(Base):
    """A member is away on these local dates (inclusive): rotation passes over them."""

    __tablename__ = "away_periods"
    __table_args__ = (CheckConstraint("ends_on >= starts_on", name="ordered"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    household_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("households.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = _now()


class CalendarFeed(Base):
    """A secret iCal URL for one user. Only a hash of the token is kept."""

    __tablename__ = "calendar_feeds"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = _now()
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Notification(Base):
    """One entry in a user's notification feed. `dedupe_key` makes every reminder happen once."""

    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint("user_id", "dedupe_key", name="uq_notifications_dedupe"),
        Index("ix_notifications_user_created", "user_id", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    household_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("households.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    # SET NULL: a recomputed occurrence is a new row, but what was already said stays said.
    occurrence_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("occurrences.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(Text)
    dedupe_key: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = _now()
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class OutboxEvent(Base):
    """The outbox: each state change's event, written in the change's own transaction.

    `seq` is the household's next sequence number, taken by incrementing `households.event_seq`
    in that transaction, so each household's stream is gapless and in commit order. Redis is only
    the fast path; `published_at` stays NULL until it was published, and a sweep job retries.
    """

    __tablename__ = "events"
    __table_args__ = (Index("ix_events_unpublished", "created_at", postgresql_where="published_at IS NULL"),)

    household_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("households.id", ondelete="CASCADE"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    type: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB)
    # NULL: every member of the household; otherwise only these users (private items).
    audience: Mapped[list[uuid.UUID] | None] = mapped_column(ARRAY(Uuid))
    created_at: Mapped[datetime] = _now()
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
