"""Calendar feeds: secret iCal URLs listing the occurrences of a user's households.

The token is the credential, so only its SHA-256 is stored; the URL is shown once, at creation.
A feed answers for the households its user belongs to when it is fetched, so leaving or being
removed from a household takes that household out of the feed at once.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event
from icalendar.enums import STATUS, TRANSP
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from shared.errors import Conflict, NotFound
from shared.models import CalendarFeed, Chore, Household, Membership, Occurrence, Status, User
from shared.schemas import CalendarFeedCreated, CalendarFeedPublic, CalendarFeedsPublic
from shared.settings import get_settings

MAX_ACTIVE_FEEDS = 10
HORIZON = timedelta(days=90)
# Recent occurrences stay visible: overdue ones are still to do, done ones show their tick.
LOOKBACK = timedelta(days=7)
# A bound on one response, far above what 90 days of a busy household produce.
MAX_EVENTS = 5000
REFRESH = timedelta(hours=1)


def hash_token(token: str) -> str:
    """The stored form of a feed token."""
    return hashlib.sha256(token.encode()).hexdigest()


def feed_url(token: str) -> str:
    return f"{get_settings().public_url.rstrip('/')}/api/calendar/{token}.ics"


def _public(feed: CalendarFeed) -> CalendarFeedPublic:
    return CalendarFeedPublic(
        id=feed.id,
        created_at=feed.created_at,
        revoked=feed.revoked_at is not None,
        revoked_at=feed.revoked_at,
    )


async def create(session: AsyncSession, *, user_id: uuid.UUID) -> CalendarFeedCreated:
    """Create a feed and return its URL, the only time the token is shown."""
    # The user row lock makes concurrent creates count one after another, so the cap holds.
    await session.execute(select(User.id).where(User.id == user_id).with_for_update())
    active = await session.scalar(
        select(func.count())
        .select_from(CalendarFeed)
        .where(CalendarFeed.user_id == user_id, CalendarFeed.revoked_at.is_(None))
    )
    if (active or 0) >= MAX_ACTIVE_FEEDS:
        await session.rollback()
        raise Conflict(
            f"you have {MAX_ACTIVE_FEEDS} calendar feeds already; revoke one first",
            code="calendar-feed-limit",
        )
    token = secrets.token_urlsafe(32)
    feed = CalendarFeed(id=uuid.uuid4(), user_id=user_id, token_hash=hash_token(token))
    session.add(feed)
    await session.commit()
    return CalendarFeedCreated(id=feed.id, url=feed_url(token), created_at=feed.created_at)


async def list_for_user(session: AsyncSession, *, user_id: uuid.UUID) -> CalendarFeedsPublic:
    """The user's feeds, newest first, revoked ones included; never their tokens."""
    feeds = await session.scalars(
        select(CalendarFeed)
        .where(CalendarFeed.user_id == user_id)
        .order_by(CalendarFeed.created_at.desc(), CalendarFeed.id)
    )
    data = [_public(feed) for feed in feeds]
    return CalendarFeedsPublic(data=data, count=len(data))


async def revoke(session: AsyncSession, *, user_id: uuid.UUID, feed_id: uuid.UUID) -> None:
    """Revoke one of the user's feeds; revoking it again changes nothing."""
    found = await session.scalar(
        select(CalendarFeed.id).where(CalendarFeed.id == feed_id, CalendarFeed.user_id == user_id)
    )
    if found is None:
        raise NotFound("no such calendar feed", code="calendar-feed-not-found")
    await session.execute(
        update(CalendarFeed)
        .where(CalendarFeed.id == feed_id, CalendarFeed.revoked_at.is_(None))
        .values(revoked_at=func.now())
    )
    await session.commit()


async def render(session: AsyncSession, *, token: str, now: datetime | None = None) -> bytes:
    """The iCalendar document of a feed; unknown and revoked tokens are the same 404."""
    now = now or datetime.now(UTC)
    user_id = await session.scalar(
        select(CalendarFeed.user_id).where(
            CalendarFeed.token_hash == hash_token(token), CalendarFeed.revoked_at.is_(None)
        )
    )
    if user_id is None:
        raise NotFound("no such calendar feed", code="calendar-feed-not-found")
    rows = await session.execute(
        select(Occurrence, Chore, Household.name, Household.timezone, User.display_name)
        .join(Chore, Chore.id == Occurrence.chore_id)
        .join(Household, Household.id == Occurrence.household_id)
        .join(
            Membership,
            (Membership.household_id == Occurrence.household_id) & (Membership.user_id == user_id),
        )
        .outerjoin(User, User.id == Occurrence.assignee_id)
        .where(
            Occurrence.due_at > now - LOOKBACK,
            Occurrence.due_at <= now + HORIZON,
            Occurrence.status.in_([Status.OPEN, Status.DONE]),
        )
        .order_by(Occurrence.due_at, Occurrence.id)
        .limit(MAX_EVENTS)
    )
    calendar = _calendar()
    for occurrence, chore, household_name, household_tz, assignee in rows:
        calendar.add_component(_event(occurrence, chore, household_name, household_tz, assignee, stamp=now))
    return bytes(calendar.to_ical())


def _calendar() -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", "-//Chorus//Chorus//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("name", "Chorus")
    calendar.add("x-wr-calname", "Chorus")
    # RFC 7986 wants VALUE=DURATION spelled out; X-PUBLISHED-TTL is the older (Outlook) spelling.
    calendar.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", "PT1H")
    return calendar


def _event(
    occurrence: Occurrence,
    chore: Chore,
    household_name: str,
    household_tz: str,
    assignee: str | None,
    *,
    stamp: datetime,
) -> Event:
    done = occurrence.status is Status.DONE
    who = assignee or "unassigned"
    description = f"Household: {household_name}\nAssigned to: {who}"
    if occurrence.assignment_reason:
        description += f"\nWhy: {occurrence.assignment_reason}"
    event = Event.new(
        uid=f"{occurrence.id}@chorus",
        stamp=stamp,
        summary=f"{chore.title} — {who}" + (" ✓" if done else ""),
        description=description,
        status=STATUS.CONFIRMED,
        categories=[occurrence.status.value],
        # Chores should not show the person as busy to meeting schedulers.
        transparency=TRANSP.TRANSPARENT,
    )
    if chore.all_day:
        # window_start is the local midnight the all-day occurrence belongs to.
        day = occurrence.window_start.astimezone(ZoneInfo(household_tz)).date()
        event.add("dtstart", day)
        event.add("dtend", day + timedelta(days=1))
    else:
        start = occurrence.due_at.astimezone(UTC)
        event.add("dtstart", start)
        event.add("dtend", start + timedelta(minutes=chore.effort_minutes))
    return event
