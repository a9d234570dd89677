"""Recurring chore schedules: RFC 5545 rules (python-dateutil) expanded in a household's local time."""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, replace
from functools import lru_cache
from itertools import islice
from typing import Annotated, Literal, Self, cast, get_args
from zoneinfo import ZoneInfo

from dateutil import rrule as du
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

Weekday = Literal["mo", "tu", "we", "th", "fr", "sa", "su"]
_WEEKDAYS: tuple[Weekday, ...] = get_args(Weekday)
Anchor = Literal["calendar", "completion"]


def _json_number(value: object) -> object:
    # pydantic's lax mode would read true as 1 and "4" as 4; the schema says integer.
    if isinstance(value, bool | str):
        raise ValueError("expected an integer")
    return value


def _iso_text(value: object) -> object:
    # pydantic would read a number as seconds since midnight or the epoch; the schema promises a string.
    if isinstance(value, int | float):
        raise ValueError("expected an ISO 8601 string")
    return value


# Validators come after the bounds so the JSON schema still shows them as minimum and maximum.
_NUMBER = BeforeValidator(_json_number)
Month = Annotated[int, Field(ge=1, le=12), _NUMBER]
MonthDay = Annotated[int, Field(ge=1, le=31), _NUMBER]
_DAY_HELP = "Day of the month; 29 to 31 mean that day, or the month's last day where it is shorter"


def _wall_clock(value: dt.time) -> dt.time:
    # A due time is a wall-clock reading: seconds are noise, and an offset has no date to apply to.
    return value.replace(second=0, microsecond=0, tzinfo=None)


def _distinct(days: list[Weekday]) -> list[Weekday]:
    if len(set(days)) != len(days):
        raise ValueError("weekdays must not repeat")
    return days


LocalDate = Annotated[dt.date, BeforeValidator(_iso_text)]
LocalTime = Annotated[dt.time, BeforeValidator(_iso_text), AfterValidator(_wall_clock)]
Weekdays = Annotated[
    list[Weekday],
    Field(min_length=1, max_length=7, json_schema_extra={"uniqueItems": True}),
    AfterValidator(_distinct),
]


class _Input(BaseModel):
    """Refuses unknown fields, as `shared.schemas.Input` does (a test keeps the two configs equal).

    Not a subclass: `shared.schemas` imports these models, and importing it here would be a cycle.
    Like every API model, built on first use (`shared.schemas.Model`).
    """

    model_config = ConfigDict(extra="forbid", defer_build=True)


class Season(_Input):
    """Months a schedule runs in, both inclusive; it may wrap, so 11 → 2 is November to February."""

    start_month: Month
    end_month: Month

    def months(self) -> list[int]:
        """The season's month numbers in calendar order."""
        span = (self.end_month - self.start_month) % 12
        return sorted((self.start_month - 1 + i) % 12 + 1 for i in range(span + 1))


class _Schedule(_Input):
    start: LocalDate = Field(description="First local date it may fall on")
    time: LocalTime | None = Field(
        default=None,
        description="Local due time, HH:MM (seconds and any UTC offset are ignored); "
        "null means all day: due by the end of that local day",
    )


class _Ending(_Schedule):
    # "Not both" in the schema too, so clients and the API fuzzer know it without reading descriptions.
    model_config = ConfigDict(
        json_schema_extra={
            "not": {
                "required": ["until", "count"],
                "properties": {"until": {"type": "string"}, "count": {"type": "integer"}},
            }
        }
    )
    until: LocalDate | None = Field(
        default=None,
        description="Last local date it may fall on, inclusive; not before `start`, not with `count`",
    )
    count: Annotated[int, Field(ge=1, le=1000), _NUMBER] | None = Field(
        default=None, description="How many times in all; not with `until`"
    )

    @model_validator(mode="after")
    def _check_ending(self) -> Self:
        if self.until is not None and self.until < self.start:
            raise ValueError("until must not be before start")
        if self.until is not None and self.count is not None:
            raise ValueError("give until or count, not both")
        return self


class _Recurring(_Ending):
    season: Season | None = Field(default=None, description="Only in these months")


class _Monthly(_Recurring):
    every: Annotated[int, Field(ge=1, le=12), _NUMBER] = Field(
        default=1,
        description="Every this many months, counted from the month of `start`; "
        "a `season` must contain a month this reaches",
    )

    @model_validator(mode="after")
    def _check_season_reached(self) -> Self:
        # Without this an "every 12 months from January, in June" rule would silently never fall due.
        if self.season is not None:
            reached = {(self.start.month - 1 + i * self.every) % 12 + 1 for i in range(12)}
            if reached.isdisjoint(self.season.months()):
                raise ValueError("the season has no month that `every` months from start reaches")
        return self


class OnceSchedule(_Schedule):
    """Due once, on `start`."""

    kind: Literal["once"]


class DailySchedule(_Recurring):
    """Every N days from `start`."""

    kind: Literal["daily"]
    every: Annotated[int, Field(ge=1, le=365), _NUMBER] = Field(default=1, description="Every this many days")


class WeeklySchedule(_Recurring):
    """On the given weekdays of every N-th week (weeks start on Monday), counted from the week of `start`."""

    kind: Literal["weekly"]
    every: Annotated[int, Field(ge=1, le=52), _NUMBER] = Field(default=1, description="Every this many weeks")
    weekdays: Weekdays


class MonthlyDaySchedule(_Monthly):
    """On a day of every N-th month; 29 to 31 fall on the last day of shorter months, never the next."""

    kind: Literal["monthly_day"]
    day: MonthDay = Field(description=_DAY_HELP)


class MonthlyWeekdaySchedule(_Monthly):
    """On the n-th (or last) given weekday of every N-th month."""

    kind: Literal["monthly_weekday"]
    weekday: Weekday
    nth: Annotated[Literal[1, 2, 3, 4, -1], _NUMBER] = Field(
        description="Which one in the month; -1 is the last"
    )


class YearlySchedule(_Ending):
    """Once a year on a month and day; 29 to 31 fall on the month's last day when shorter (Feb 29: Feb 28)."""

    kind: Literal["yearly"]
    month: Month
    day: MonthDay = Field(description=_DAY_HELP)


class AfterCompletionSchedule(_Recurring):
    """Due N days or weeks after it was last done; the first time on `start`."""

    kind: Literal["after_completion"]
    every: Annotated[int, Field(ge=1, le=365), _NUMBER] = Field(
        default=1, description="This many units after the last completion"
    )
    unit: Literal["days", "weeks"] = "days"


Schedule = Annotated[
    OnceSchedule
    | DailySchedule
    | WeeklySchedule
    | MonthlyDaySchedule
    | MonthlyWeekdaySchedule
    | YearlySchedule
    | AfterCompletionSchedule,
    Field(discriminator="kind"),
]


@dataclass(frozen=True)
class Rule:
    """A schedule as stored: an RRULE value, its naive local DTSTART, all-day or not, and its anchor."""

    rrule: str
    dtstart: dt.datetime
    all_day: bool
    anchor: Anchor


def compile_schedule(schedule: Schedule) -> Rule:
    """The stored rule for a schedule; DTSTART is moved to its first occurrence, as RFC 5545 expects."""
    match schedule:
        case OnceSchedule():
            parts = ["FREQ=DAILY", "COUNT=1"]
        case DailySchedule():
            parts = ["FREQ=DAILY", *_interval(schedule.every)]
        case WeeklySchedule():
            days = ",".join(day.upper() for day in sorted(schedule.weekdays, key=_WEEKDAYS.index))
            parts = ["FREQ=WEEKLY", *_interval(schedule.every), f"BYDAY={days}"]
        case MonthlyDaySchedule():
            parts = ["FREQ=MONTHLY", *_interval(schedule.every), *_month_day(schedule.day, 28, 31)]
        case MonthlyWeekdaySchedule():
            parts = [
                "FREQ=MONTHLY",
                *_interval(schedule.every),
                f"BYDAY={schedule.nth}{schedule.weekday.upper()}",
            ]
        case YearlySchedule():
            # Shortest and longest length of that month, from a common and a leap year.
            shortest, longest = (
                calendar.monthrange(2001, schedule.month)[1],
                calendar.monthrange(2000, schedule.month)[1],
            )
            parts = ["FREQ=YEARLY", f"BYMONTH={schedule.month}", *_month_day(schedule.day, shortest, longest)]
        case AfterCompletionSchedule():
            freq = "DAILY" if schedule.unit == "days" else "WEEKLY"
            parts = [f"FREQ={freq}", *_interval(schedule.every)]
    if isinstance(schedule, _Recurring) and schedule.season is not None:
        parts.append("BYMONTH=" + ",".join(map(str, schedule.season.months())))
    if isinstance(schedule, _Ending) and schedule.count is not None:
        parts.append(f"COUNT={schedule.count}")
    if isinstance(schedule, _Ending) and schedule.until is not None:
        parts.append(
            "UNTIL=" + _stamp(schedule.until, None if schedule.time is None else dt.time(23, 59, 59))
        )
    anchor: Anchor = "completion" if isinstance(schedule, AfterCompletionSchedule) else "calendar"
    start = dt.datetime.combine(schedule.start, schedule.time or dt.time())
    rule = Rule(rrule=";".join(parts), dtstart=start, all_day=schedule.time is None, anchor=anchor)
    first = _first(rule)
    return rule if first is None else replace(rule, dtstart=first)


def rule_text(rule: Rule) -> str:
    """The rule as RFC 5545 lines: a floating (local) DTSTART, or a DATE one when all-day, and the RRULE."""
    day, time = rule.dtstart.date(), rule.dtstart.time()
    value = ";VALUE=DATE:" + _stamp(day, None) if rule.all_day else ":" + _stamp(day, time)
    return f"DTSTART{value}\nRRULE:{rule.rrule}"


def parse_rule(rrule: str, dtstart: dt.datetime, all_day: bool, anchor: str) -> Rule:
    """A Rule from its stored columns; ValueError says what does not fit."""
    if dtstart.tzinfo is not None:
        raise ValueError("dtstart is a local wall-clock time and must be naive")
    if all_day and dtstart.time() != dt.time():
        raise ValueError("an all-day rule starts at midnight")
    if anchor not in ("calendar", "completion"):
        raise ValueError("anchor must be 'calendar' or 'completion'")
    if not rrule or ":" in rrule or "\n" in rrule:
        raise ValueError("pass the RRULE value alone, without 'RRULE:' or a DTSTART line")
    parts = _parts(rrule)
    if parts.get("FREQ") not in ("DAILY", "WEEKLY", "MONTHLY", "YEARLY"):
        raise ValueError("FREQ must be DAILY, WEEKLY, MONTHLY or YEARLY")
    if "COUNT" in parts and "UNTIL" in parts:
        raise ValueError("an RRULE has COUNT or UNTIL, not both")
    try:
        _rrule(rrule, dtstart)
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        raise ValueError(f"not a valid RRULE: {exc}") from exc
    return Rule(rrule=rrule, dtstart=dtstart, all_day=all_day, anchor=cast(Anchor, anchor))


def due_times(rule: Rule, tz: str, *, after: dt.datetime, limit: int) -> list[dt.datetime]:
    """The next `limit` due times strictly after `after`, in UTC; a completion anchor gives only its first."""
    _check_aware(after)
    zone = ZoneInfo(tz)
    if limit < 1:
        return []
    if rule.anchor == "completion":
        # Later ones depend on when it gets done: see `due_after_completion`.
        first = _first(rule)
        due = None if first is None else _due(first, zone, rule.all_day)
        return [due] if due is not None and due > after else []
    found: list[dt.datetime] = []
    for local in _instances(_restarted(rule, _floor(after))):
        due = _due(local, zone, rule.all_day)
        # A day a zone skipped entirely (Samoa, 2011) maps onto the next one: keep the series increasing.
        if due is not None and due > after and (not found or due > found[-1]):
            found.append(due)
            if len(found) == limit:
                break
    return found


def due_after_completion(
    rule: Rule, tz: str, *, completed_at: dt.datetime, completions: int = 1
) -> dt.datetime | None:
    """When a completion-anchored rule is next due after a completion, in UTC; None once it has ended.

    `completions` is how many times it has been done, this one included; with COUNT it ends there.
    """
    _check_aware(completed_at)
    if rule.anchor != "completion":
        raise ValueError("only a completion-anchored rule is due after a completion")
    zone = ZoneInfo(tz)
    local = _next_after(rule, completed_at.astimezone(zone).date(), completions)
    return None if local is None else _due(local, zone, rule.all_day)


def preview(schedule: Schedule, tz: str, *, now: dt.datetime, limit: int = 10) -> list[dt.datetime]:
    """The next due times for the schedule editor, in UTC.

    A completion-anchored schedule is assumed done on time; if its first one is already due, done now.
    """
    rule = compile_schedule(schedule)
    if rule.anchor == "calendar":
        return due_times(rule, tz, after=now, limit=limit)
    _check_aware(now)
    zone = ZoneInfo(tz)
    local, done = _first(rule), 0
    first_due = None if local is None else _due(local, zone, rule.all_day)
    if first_due is not None and first_due <= now:
        # Already due: suppose it is done now and on time from then on.
        local, done = _next_after(rule, now.astimezone(zone).date(), 1), 1
    found: list[dt.datetime] = []
    while local is not None and len(found) < limit:
        due = _due(local, zone, rule.all_day)
        if due is None:
            break
        if due > now and (not found or due > found[-1]):
            found.append(due)
        done += 1
        local = _next_after(rule, local.date(), done)
    return found


def _interval(every: int) -> list[str]:
    return [] if every == 1 else [f"INTERVAL={every}"]


def _month_day(day: int, shortest: int, longest: int) -> list[str]:
    """BYMONTHDAY for `day`, or for the month's last day where the month is shorter."""
    day = min(day, longest)
    if day <= shortest:
        return [f"BYMONTHDAY={day}"]
    # The last of the days from `shortest` to `day` that the month has: 31 is Apr 30 and Feb 28/29,
    # where a plain BYMONTHDAY=31 would skip those months and a day count would spill into the next.
    return ["BYMONTHDAY=" + ",".join(map(str, range(shortest, day + 1))), "BYSETPOS=-1"]


def _stamp(day: dt.date, time: dt.time | None) -> str:
    # isoformat, not strftime: strftime("%Y") drops the leading zeros of years before 1000 on glibc.
    text = day.isoformat().replace("-", "")
    return text if time is None else text + "T" + time.isoformat().replace(":", "")


def _parts(rrule: str) -> dict[str, str]:
    return {key: value for key, _, value in (part.partition("=") for part in rrule.upper().split(";"))}


@lru_cache(maxsize=1024)
def _rrule(rrule: str, dtstart: dt.datetime) -> du.rrule:
    """dateutil's rrule for a stored RRULE value and naive local DTSTART."""
    if "WKST=" not in rrule.upper():
        # RFC 5545's default; dateutil would otherwise take the process-wide calendar.firstweekday().
        rrule += ";WKST=MO"
    parsed = du.rrulestr(rrule, dtstart=dtstart)
    if not isinstance(parsed, du.rrule):
        raise ValueError("expected a single RRULE")
    return parsed


def _instances(rrule: du.rrule) -> Iterator[dt.datetime]:
    """The rule's local instances, ending where the calendar does."""
    instances = iter(rrule)
    while True:
        try:
            instance = next(instances)
        except (StopIteration, ValueError):
            # ValueError: dateutil builds whole weeks, and the last week of 9999 reaches into year 10000.
            return
        yield instance


def _first(rule: Rule) -> dt.datetime | None:
    """The first local occurrence; for a completion anchor, the first in-season day from DTSTART."""
    base = _rrule(rule.rrule, rule.dtstart)
    return next(_instances(_days(base, rule.dtstart) if rule.anchor == "completion" else base), None)


def _days(base: du.rrule, start: dt.datetime) -> du.rrule:
    """Every day from `start` that the rule's season (BYMONTH) and UNTIL allow."""
    return base.replace(freq=du.DAILY, interval=1, count=None, dtstart=start)


def _next_after(rule: Rule, done_on: dt.date, completions: int) -> dt.datetime | None:
    """The local due time after a completion on `done_on`: N days or weeks on, or the next in-season day."""
    count = _parts(rule.rrule).get("COUNT")
    if count is not None and completions >= int(count):
        return None
    base = _rrule(rule.rrule, rule.dtstart)
    # The rule's own FREQ and INTERVAL restarted on the day it was done: its second instance is N units on.
    restarted = base.replace(
        dtstart=dt.datetime.combine(done_on, rule.dtstart.time()), count=None, until=None, bymonth=None
    )
    candidate = next(islice(_instances(restarted), 1, None), None)
    return None if candidate is None else next(_instances(_days(base, candidate)), None)


# RRULE parts naming the days; without any, dateutil derives them from DTSTART, which restarting moves.
_DAY_PARTS = frozenset({"BYDAY", "BYMONTHDAY", "BYYEARDAY", "BYWEEKNO"})


def _restarted(rule: Rule, floor: dt.datetime) -> du.rrule:
    """The rule with DTSTART moved to the start of its last period before `floor`, so that expanding a
    rule that began years ago does not walk every instance since then; the instances are the same."""
    base = _rrule(rule.rrule, rule.dtstart)
    parts = _parts(rule.rrule)
    start, freq, every = rule.dtstart, parts["FREQ"], int(parts.get("INTERVAL", "1"))
    # COUNT numbers instances from DTSTART (and is at most 1000 here), so such a rule is walked whole.
    if floor <= start or "COUNT" in parts or (freq != "DAILY" and not _DAY_PARTS & parts.keys()):
        return base
    if freq == "DAILY":
        period = dt.timedelta(days=every)
        moved = start + (floor - start) // period * period
    elif freq == "WEEKLY" and parts.get("WKST", "MO") == "MO":
        monday = start - dt.timedelta(days=start.weekday())
        period = dt.timedelta(weeks=every)
        moved = monday + (floor - monday) // period * period
    elif freq == "MONTHLY":
        months = (floor.year - start.year) * 12 + floor.month - start.month
        index = start.year * 12 + start.month - 1 + months // every * every
        moved = start.replace(year=index // 12, month=index % 12 + 1, day=1)
    elif freq == "YEARLY":
        moved = start.replace(year=start.year + (floor.year - start.year) // every * every, month=1, day=1)
    else:
        return base
    return base.replace(dtstart=max(start, moved))


def _floor(after: dt.datetime) -> dt.datetime:
    """A naive local time before every occurrence that falls due after `after`, in any zone."""
    # Local clocks stay within 16 hours of UTC, and an all-day occurrence falls due a day after it starts.
    try:
        return after.astimezone(dt.UTC).replace(tzinfo=None) - dt.timedelta(days=2)
    except OverflowError:
        return dt.datetime.min


def _due(local: dt.datetime, zone: ZoneInfo, all_day: bool) -> dt.datetime | None:
    """The UTC instant a local occurrence falls due; None beyond the datetime range."""
    try:
        if all_day:
            # Due by the end of its day, which is the start of the next one.
            local = dt.datetime.combine(local.date() + dt.timedelta(days=1), dt.time())
        # fold=0 (PEP 495): a time in a spring-forward gap lands as far past it as the gap is long
        # (02:30 becomes 03:30), and an ambiguous fall-back time is its first instance.
        return local.replace(tzinfo=zone, fold=0).astimezone(dt.UTC)
    except OverflowError:
        return None


def _check_aware(moment: dt.datetime) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("pass a timezone-aware datetime")
