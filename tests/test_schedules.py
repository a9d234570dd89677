"""Schedules: rules compiled from the API models, expanded in local wall-clock time across DST."""

from __future__ import annotations

import calendar
import datetime as dt
import time as clock
from itertools import islice, pairwise
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from dateutil import rrule as du
from hypothesis import given, reject, settings
from hypothesis import strategies as st
from pydantic import BaseModel, TypeAdapter, ValidationError

from shared.schedules import (
    AfterCompletionSchedule,
    DailySchedule,
    MonthlyDaySchedule,
    MonthlyWeekdaySchedule,
    OnceSchedule,
    Rule,
    Schedule,
    Season,
    WeeklySchedule,
    YearlySchedule,
    compile_schedule,
    due_after_completion,
    due_times,
    parse_rule,
    preview,
    rule_text,
)
from shared.schemas import Input

SCHEDULE: TypeAdapter[Schedule] = TypeAdapter(Schedule)
UTC = dt.UTC
BERLIN, NEW_YORK = ZoneInfo("Europe/Berlin"), ZoneInfo("America/New_York")
WEEKDAYS = ["mo", "tu", "we", "th", "fr", "sa", "su"]
KINDS = ("once", "daily", "weekly", "monthly_day", "monthly_weekday", "yearly", "after_completion")
# No example database: every run and machine tries the same examples, nothing replays from a local cache.
properties = settings(max_examples=150, deadline=None, database=None)

zones = st.sampled_from(["Europe/Berlin", "America/New_York"])
# Times inside (02:30) and around the DST changes of both zones come up often, not just by chance.
times = st.one_of(
    st.none(),
    st.sampled_from([dt.time(2, 30), dt.time(2, 0), dt.time(1, 30), dt.time(0, 0), dt.time(23, 59)]),
    st.builds(dt.time, st.integers(0, 23), st.integers(0, 59)),
)
starts = st.dates(dt.date(2000, 1, 1), dt.date(2040, 12, 31))
seasons = st.builds(Season, start_month=st.integers(1, 12), end_month=st.integers(1, 12))


def schedule(**fields: Any) -> Schedule:
    return SCHEDULE.validate_python(fields)


@st.composite
def schedules(
    draw: st.DrawFn,
    kinds: tuple[str, ...] = KINDS,
    *,
    season: bool | None = None,
    time: st.SearchStrategy[dt.time | None] = times,
) -> Schedule:
    """Valid schedules of the given kinds; `season` True/False forces one on or off."""
    kind = draw(st.sampled_from(kinds))
    start = draw(starts)
    fields: dict[str, Any] = {"kind": kind, "start": start, "time": draw(time)}
    if kind != "once":
        ending = draw(st.sampled_from(["none", "until", "count"]))
        if ending == "until":
            fields["until"] = start + dt.timedelta(days=draw(st.integers(0, 2000)))
        elif ending == "count":
            fields["count"] = draw(st.integers(1, 40))
        if kind != "yearly" and (season or (season is None and draw(st.booleans()))):
            fields["season"] = draw(seasons)
    short_every = st.integers(1, 4)
    if kind in ("daily", "after_completion"):
        fields["every"] = draw(short_every | st.integers(1, 365))
    if kind == "after_completion":
        fields["unit"] = draw(st.sampled_from(["days", "weeks"]))
    if kind == "weekly":
        fields["every"] = draw(short_every | st.integers(1, 52))
        fields["weekdays"] = draw(st.lists(st.sampled_from(WEEKDAYS), min_size=1, max_size=7, unique=True))
    if kind in ("monthly_day", "monthly_weekday"):
        fields["every"] = draw(st.integers(1, 12))
    if kind in ("monthly_day", "yearly"):
        fields["day"] = draw(st.integers(1, 31))
    if kind == "monthly_weekday":
        fields["weekday"] = draw(st.sampled_from(WEEKDAYS))
        fields["nth"] = draw(st.sampled_from([1, 2, 3, 4, -1]))
    if kind == "yearly":
        fields["month"] = draw(st.integers(1, 12))
    try:
        return schedule(**fields)
    except ValidationError:
        reject()  # a season that "every N months" never reaches


@st.composite
def moments(draw: st.DrawFn) -> dt.datetime:
    """Aware instants around the years the schedules start in."""
    naive = draw(st.datetimes(dt.datetime(1999, 1, 1), dt.datetime(2042, 1, 1)))
    return naive.replace(tzinfo=UTC)


def local_day(due: dt.datetime, zone: ZoneInfo, all_day: bool) -> dt.date:
    """The local date a due time belongs to: all-day ones fall due at the start of the next day."""
    local = due.astimezone(zone).date()
    return local - dt.timedelta(days=1) if all_day else local


def assert_wall_clock(due: dt.datetime, zone: ZoneInfo, wanted: dt.time) -> None:
    """The due time reads `wanted` locally, or lies as far past it as a DST gap it fell into is long."""
    local = due.astimezone(zone)
    if local.time() == wanted:
        return
    naive = dt.datetime.combine(local.date(), wanted)
    # PEP 495: in a gap, fold=0 carries the offset before the change and fold=1 the one after.
    before = naive.replace(tzinfo=zone, fold=0).utcoffset()
    after = naive.replace(tzinfo=zone, fold=1).utcoffset()
    assert before is not None
    assert after is not None
    gap = after - before
    assert gap > dt.timedelta(0), f"{due} reads {local.time()} locally, not {wanted}"
    assert local.replace(tzinfo=None) == naive + gap


def walk_from_start(rule: Rule, zone: ZoneInfo, after: dt.datetime, limit: int) -> list[dt.datetime]:
    """Reference expansion: every instance from DTSTART, localized, the first `limit` after `after`."""
    found: list[dt.datetime] = []
    for local in du.rrulestr(rule.rrule + ";WKST=MO", dtstart=rule.dtstart):
        if rule.all_day:
            local = dt.datetime.combine(local.date() + dt.timedelta(days=1), dt.time())
        due = local.replace(tzinfo=zone).astimezone(UTC)
        if due > after and (not found or due > found[-1]):
            found.append(due)
            if len(found) == limit:
                break
    return found


# Properties


@properties
@given(schedules(), zones, moments(), st.integers(0, 30))
def test_due_times_strictly_increase_after_the_given_moment(
    plan: Schedule, tz: str, after: dt.datetime, limit: int
) -> None:
    dues = due_times(compile_schedule(plan), tz, after=after, limit=limit)
    assert len(dues) <= limit
    assert all(due.tzinfo is UTC and due > after for due in dues)
    assert all(a < b for a, b in pairwise(dues))


@properties
@given(schedules(("daily", "weekly", "monthly_day", "monthly_weekday", "yearly")), zones, moments())
def test_due_times_far_past_rule_match_walking_from_the_start(
    plan: Schedule, tz: str, after: dt.datetime
) -> None:
    rule = compile_schedule(plan)
    assert due_times(rule, tz, after=after, limit=12) == walk_from_start(rule, ZoneInfo(tz), after, 12)


@properties
@given(schedules(("daily", "weekly", "monthly_day", "monthly_weekday"), season=True), zones, moments())
def test_due_times_fall_inside_the_season(plan: Schedule, tz: str, after: dt.datetime) -> None:
    season = getattr(plan, "season", None)
    assert isinstance(season, Season)
    months = season.months()
    for due in preview(plan, tz, now=after, limit=25):
        assert local_day(due, ZoneInfo(tz), plan.time is None).month in months


@properties
@given(
    schedules(("daily", "weekly", "monthly_weekday"), time=times.filter(lambda t: t is not None)),
    zones,
    st.integers(2000, 2040),
    st.sampled_from([3, 10, 11]),
)
def test_due_times_keep_the_local_wall_clock_across_dst(
    plan: Schedule, tz: str, year: int, month: int
) -> None:
    # Starting in a month with a DST change, so the expansion runs through it.
    wanted = plan.time
    assert wanted is not None
    try:
        plan = schedule(**{**plan.model_dump(), "start": dt.date(year, month, 1), "until": None})
    except ValidationError:
        reject()  # the season is not reached from this start
    for due in preview(plan, tz, now=dt.datetime(year, month, 1, tzinfo=UTC), limit=40):
        assert_wall_clock(due, ZoneInfo(tz), wanted)


@properties
@given(schedules(time=st.none()), zones, moments())
def test_due_times_all_day_are_local_midnights(plan: Schedule, tz: str, after: dt.datetime) -> None:
    for due in preview(plan, tz, now=after, limit=20):
        assert due.astimezone(ZoneInfo(tz)).time() == dt.time(0, 0)


@properties
@given(starts, times, zones, st.integers(1, 12))
def test_monthly_weekday_last_friday_is_a_friday_in_the_last_week(
    start: dt.date, at: dt.time | None, tz: str, every: int
) -> None:
    plan = schedule(kind="monthly_weekday", start=start, time=at, weekday="fr", nth=-1, every=every)
    dues = preview(plan, tz, now=dt.datetime.combine(start, dt.time(), UTC), limit=24)
    assert len(dues) == 24
    for due in dues:
        day = local_day(due, ZoneInfo(tz), at is None)
        assert day.weekday() == calendar.FRIDAY
        assert (day + dt.timedelta(days=7)).month != day.month


@properties
@given(starts, times, zones, st.integers(29, 31), st.integers(1, 12))
def test_monthly_day_past_month_end_is_the_last_day_never_the_next_month(
    start: dt.date, at: dt.time | None, tz: str, day: int, every: int
) -> None:
    plan = schedule(kind="monthly_day", start=start, time=at, day=day, every=every)
    dues = preview(plan, tz, now=dt.datetime.combine(start, dt.time(), UTC), limit=30)
    days = [local_day(due, ZoneInfo(tz), at is None) for due in dues]
    assert len(days) == 30
    for date in days:
        assert date.day == min(day, calendar.monthrange(date.year, date.month)[1])
    # Consecutive ones are exactly `every` months apart: no month is skipped or doubled.
    index = [date.year * 12 + date.month for date in days]
    assert all(b - a == every for a, b in pairwise(index))


@properties
@given(starts, times, zones, st.integers(1, 12), st.integers(28, 31))
def test_yearly_day_past_month_end_is_the_last_day(
    start: dt.date, at: dt.time | None, tz: str, month: int, day: int
) -> None:
    plan = schedule(kind="yearly", start=start, time=at, month=month, day=day)
    dues = preview(plan, tz, now=dt.datetime.combine(start, dt.time(), UTC), limit=8)
    days = [local_day(due, ZoneInfo(tz), at is None) for due in dues]
    assert [date.year for date in days] == list(range(days[0].year, days[0].year + 8))
    for date in days:
        assert date.month == month
        assert date.day == min(day, calendar.monthrange(date.year, month)[1])


@properties
@given(starts, times, zones)
def test_weekly_every_two_weeks_on_monday_and_thursday_keeps_the_spacing(
    start: dt.date, at: dt.time | None, tz: str
) -> None:
    plan = schedule(kind="weekly", start=start, time=at, every=2, weekdays=["th", "mo"])
    dues = preview(plan, tz, now=dt.datetime.combine(start, dt.time(), UTC) - dt.timedelta(days=1), limit=20)
    days = [local_day(due, ZoneInfo(tz), at is None) for due in dues]
    first_monday = start - dt.timedelta(days=start.weekday())
    # Every Monday and Thursday on or after the start, in weeks 0, 2, 4, ... counted from the start's week.
    expected = [
        day
        for day in (start + dt.timedelta(days=n) for n in range(200))
        if day.weekday() in (calendar.MONDAY, calendar.THURSDAY) and (day - first_monday).days // 7 % 2 == 0
    ][:20]
    assert days == expected


@properties
@given(schedules(), zones)
def test_due_times_respect_until_and_count(plan: Schedule, tz: str) -> None:
    rule = compile_schedule(plan)
    before = dt.datetime.combine(plan.start, dt.time(), UTC) - dt.timedelta(days=2)
    dues = preview(plan, tz, now=before, limit=60)
    until, count = getattr(plan, "until", None), getattr(plan, "count", None)
    if until is not None:
        assert all(local_day(due, ZoneInfo(tz), rule.all_day) <= until for due in dues)
    if count is not None:
        assert len(dues) <= count
        if plan.kind in ("daily", "after_completion") and getattr(plan, "season", None) is None:
            assert len(dues) == count


@properties
@given(schedules(("after_completion",)), zones, moments(), st.integers(1, 3))
def test_due_after_completion_keeps_the_wall_clock_and_the_interval(
    plan: Schedule, tz: str, completed_at: dt.datetime, completions: int
) -> None:
    assert isinstance(plan, AfterCompletionSchedule)
    zone = ZoneInfo(tz)
    due = due_after_completion(compile_schedule(plan), tz, completed_at=completed_at, completions=completions)
    step = dt.timedelta(days=plan.every) if plan.unit == "days" else dt.timedelta(weeks=plan.every)
    expected = completed_at.astimezone(zone).date() + step
    months = plan.season.months() if plan.season else list(range(1, 13))
    while expected.month not in months:
        expected += dt.timedelta(days=1)
    if (plan.until is not None and expected > plan.until) or (
        plan.count is not None and completions >= plan.count
    ):
        assert due is None
        return
    assert due is not None
    assert local_day(due, zone, plan.time is None) == expected
    assert_wall_clock(due, zone, plan.time or dt.time(0, 0))


@properties
@given(schedules())
def test_parse_rule_round_trips_compiled_rules(plan: Schedule) -> None:
    rule = compile_schedule(plan)
    assert parse_rule(rule.rrule, rule.dtstart, rule.all_day, rule.anchor) == rule
    # rule_text is RFC 5545 that dateutil reads back to the same instances.
    from_text = du.rrulestr(rule_text(rule) + ";WKST=MO")
    from_columns = du.rrulestr(rule.rrule + ";WKST=MO", dtstart=rule.dtstart)
    assert list(islice(from_text, 5)) == list(islice(from_columns, 5))


# Examples


@pytest.mark.parametrize(
    ("fields", "rrule", "dtstart", "anchor"),
    [
        (
            {"kind": "once", "start": "2025-03-30", "time": "02:30"},
            "FREQ=DAILY;COUNT=1",
            "2025-03-30T02:30",
            "calendar",
        ),
        (
            {"kind": "daily", "start": "2025-01-01", "every": 3, "count": 5},
            "FREQ=DAILY;INTERVAL=3;COUNT=5",
            "2025-01-01T00:00",
            "calendar",
        ),
        (
            {
                "kind": "weekly",
                "start": "2025-04-01",
                "time": "18:00",
                "every": 2,
                "weekdays": ["th", "mo"],
                "season": {"start_month": 4, "end_month": 6},
            },
            "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH;BYMONTH=4,5,6",
            "2025-04-03T18:00",
            "calendar",
        ),
        (
            {"kind": "monthly_day", "start": "2025-01-01", "day": 15, "time": "09:00"},
            "FREQ=MONTHLY;BYMONTHDAY=15",
            "2025-01-15T09:00",
            "calendar",
        ),
        (
            {"kind": "monthly_day", "start": "2025-02-01", "day": 31, "until": "2025-12-31", "time": "09:00"},
            "FREQ=MONTHLY;BYMONTHDAY=28,29,30,31;BYSETPOS=-1;UNTIL=20251231T235959",
            "2025-02-28T09:00",
            "calendar",
        ),
        (
            {
                "kind": "monthly_weekday",
                "start": "2025-01-01",
                "weekday": "fr",
                "nth": -1,
                "every": 3,
                "season": {"start_month": 11, "end_month": 2},
            },
            "FREQ=MONTHLY;INTERVAL=3;BYDAY=-1FR;BYMONTH=1,2,11,12",
            "2025-01-31T00:00",
            "calendar",
        ),
        (
            {"kind": "monthly_weekday", "start": "2025-01-01", "weekday": "tu", "nth": 2},
            "FREQ=MONTHLY;BYDAY=2TU",
            "2025-01-14T00:00",
            "calendar",
        ),
        (
            {"kind": "yearly", "start": "2025-01-01", "month": 2, "day": 29, "until": "2030-01-01"},
            "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=28,29;BYSETPOS=-1;UNTIL=20300101",
            "2025-02-28T00:00",
            "calendar",
        ),
        (
            {"kind": "yearly", "start": "2025-01-01", "month": 4, "day": 31},
            "FREQ=YEARLY;BYMONTH=4;BYMONTHDAY=30",
            "2025-04-30T00:00",
            "calendar",
        ),
        (
            {"kind": "yearly", "start": "2025-01-01", "month": 12, "day": 24},
            "FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=24",
            "2025-12-24T00:00",
            "calendar",
        ),
        (
            {
                "kind": "after_completion",
                "start": "2025-01-10",
                "every": 3,
                "unit": "weeks",
                "time": "08:00",
                "season": {"start_month": 3, "end_month": 10},
            },
            "FREQ=WEEKLY;INTERVAL=3;BYMONTH=3,4,5,6,7,8,9,10",
            "2025-03-01T08:00",
            "completion",
        ),
        (
            {"kind": "after_completion", "start": "2025-01-10", "every": 10},
            "FREQ=DAILY;INTERVAL=10",
            "2025-01-10T00:00",
            "completion",
        ),
    ],
)
def test_compile_schedule_rrule_for_each_kind(
    fields: dict[str, Any], rrule: str, dtstart: str, anchor: str
) -> None:
    rule = compile_schedule(schedule(**fields))
    all_day = "time" not in fields
    assert (rule.rrule, rule.dtstart, rule.all_day, rule.anchor) == (
        rrule,
        dt.datetime.fromisoformat(dtstart),
        all_day,
        anchor,
    )


def test_rule_text_floating_and_all_day_forms() -> None:
    timed = compile_schedule(schedule(kind="daily", start="2025-01-01", time="07:00"))
    all_day = compile_schedule(schedule(kind="daily", start="0800-01-01", until="0800-01-31"))
    assert rule_text(timed) == "DTSTART:20250101T070000\nRRULE:FREQ=DAILY"
    assert rule_text(all_day) == "DTSTART;VALUE=DATE:08000101\nRRULE:FREQ=DAILY;UNTIL=08000131"


def test_due_times_daily_seven_in_berlin_across_both_dst_changes() -> None:
    rule = compile_schedule(schedule(kind="daily", start="2025-01-01", time="07:00"))
    spring = due_times(rule, "Europe/Berlin", after=dt.datetime(2025, 3, 29, tzinfo=UTC), limit=3)
    autumn = due_times(rule, "Europe/Berlin", after=dt.datetime(2025, 10, 25, tzinfo=UTC), limit=3)
    assert [due.strftime("%d %H:%M") for due in spring] == ["29 06:00", "30 05:00", "31 05:00"]
    assert [due.strftime("%d %H:%M") for due in autumn] == ["25 05:00", "26 06:00", "27 06:00"]
    assert {due.astimezone(BERLIN).strftime("%H:%M") for due in spring + autumn} == {"07:00"}


def test_due_times_spring_forward_gap_moves_forward_by_the_gap() -> None:
    rule = compile_schedule(schedule(kind="daily", start="2025-03-29", time="02:30"))
    dues = due_times(rule, "Europe/Berlin", after=dt.datetime(2025, 3, 28, tzinfo=UTC), limit=3)
    assert [due.astimezone(BERLIN).isoformat() for due in dues] == [
        "2025-03-29T02:30:00+01:00",
        "2025-03-30T03:30:00+02:00",
        "2025-03-31T02:30:00+02:00",
    ]


def test_due_times_fall_back_ambiguous_time_takes_the_first() -> None:
    rule = compile_schedule(schedule(kind="once", start="2025-11-02", time="01:30"))
    due = due_times(rule, "America/New_York", after=dt.datetime(2025, 11, 1, tzinfo=UTC), limit=5)
    assert due == [dt.datetime(2025, 11, 2, 5, 30, tzinfo=UTC)]
    assert due[0].astimezone(NEW_YORK).isoformat() == "2025-11-02T01:30:00-04:00"


def test_due_times_all_day_is_due_at_the_next_local_midnight() -> None:
    rule = compile_schedule(schedule(kind="once", start="2025-06-10"))
    assert due_times(rule, "Europe/Berlin", after=dt.datetime(2025, 6, 1, tzinfo=UTC), limit=1) == [
        dt.datetime(2025, 6, 10, 22, 0, tzinfo=UTC)
    ]


def test_monthly_day_31_falls_on_each_month_last_day() -> None:
    plan = schedule(kind="monthly_day", start="2024-01-01", time="12:00", day=31)
    dues = preview(plan, "UTC", now=dt.datetime(2024, 1, 1, tzinfo=UTC), limit=6)
    assert [due.date().isoformat() for due in dues] == [
        "2024-01-31",
        "2024-02-29",
        "2024-03-31",
        "2024-04-30",
        "2024-05-31",
        "2024-06-30",
    ]
    feb = preview(plan, "UTC", now=dt.datetime(2025, 2, 1, tzinfo=UTC), limit=1)
    assert feb == [dt.datetime(2025, 2, 28, 12, 0, tzinfo=UTC)]


def test_yearly_feb_29_falls_on_feb_28_in_common_years() -> None:
    plan = schedule(kind="yearly", start="2025-01-01", time="10:00", month=2, day=29)
    dues = preview(plan, "UTC", now=dt.datetime(2025, 1, 1, tzinfo=UTC), limit=4)
    assert [due.date().isoformat() for due in dues] == [
        "2025-02-28",
        "2026-02-28",
        "2027-02-28",
        "2028-02-29",
    ]


def test_monthly_weekday_last_friday_examples() -> None:
    plan = schedule(kind="monthly_weekday", start="2025-01-01", time="17:00", weekday="fr", nth=-1)
    dues = preview(plan, "America/New_York", now=dt.datetime(2025, 1, 1, tzinfo=UTC), limit=4)
    assert [due.astimezone(NEW_YORK).date().isoformat() for due in dues] == [
        "2025-01-31",
        "2025-02-28",
        "2025-03-28",
        "2025-04-25",
    ]


def test_due_times_daily_from_ten_years_ago_is_fast() -> None:
    now = dt.datetime.now(UTC)
    old = compile_schedule(schedule(kind="daily", start=now.date() - dt.timedelta(days=3653), time="07:00"))
    ancient = compile_schedule(schedule(kind="daily", start="0001-01-01", time="07:00"))
    began = clock.perf_counter()
    dues = due_times(old, "Europe/Berlin", after=now, limit=10)
    far = due_times(ancient, "Asia/Tokyo", after=now, limit=10)
    assert clock.perf_counter() - began < 0.05
    assert len(dues) == len(far) == 10
    assert dues[0] - now <= dt.timedelta(days=1)


def test_due_times_end_of_calendar_stops_quietly() -> None:
    weekly = compile_schedule(
        schedule(kind="weekly", start="9999-12-01", weekdays=["mo", "su"], time="12:00")
    )
    all_day = compile_schedule(schedule(kind="daily", start="9999-12-30"))
    after = dt.datetime(9999, 12, 1, tzinfo=UTC)
    assert len(due_times(weekly, "UTC", after=after, limit=20)) == 8  # up to Monday the 27th
    # The end of 9999-12-31 is not a representable instant.
    assert due_times(all_day, "UTC", after=after, limit=5) == [dt.datetime(9999, 12, 31, tzinfo=UTC)]


def test_due_times_completion_anchor_gives_only_the_first() -> None:
    rule = compile_schedule(schedule(kind="after_completion", start="2025-05-01", time="08:00", every=3))
    before, after_first = dt.datetime(2025, 4, 1, tzinfo=UTC), dt.datetime(2025, 5, 2, tzinfo=UTC)
    assert due_times(rule, "Europe/Berlin", after=before, limit=5) == [
        dt.datetime(2025, 5, 1, 6, 0, tzinfo=UTC)
    ]
    assert due_times(rule, "Europe/Berlin", after=after_first, limit=5) == []


def test_due_after_completion_counts_from_the_local_completion_day() -> None:
    rule = compile_schedule(schedule(kind="after_completion", start="2025-03-01", time="08:00", every=3))
    # 23:30 UTC on the 27th is already the 28th in Berlin; three days on is after the spring change.
    due = due_after_completion(
        rule, "Europe/Berlin", completed_at=dt.datetime(2025, 3, 27, 23, 30, tzinfo=UTC)
    )
    assert due == dt.datetime(2025, 3, 31, 6, 0, tzinfo=UTC)


def test_due_after_completion_weeks_skip_to_the_next_season() -> None:
    plan = schedule(
        kind="after_completion",
        start="2025-04-01",
        every=2,
        unit="weeks",
        season={"start_month": 4, "end_month": 9},
    )
    rule = compile_schedule(plan)
    completed = dt.datetime(2025, 9, 25, 10, 0, tzinfo=UTC)
    # Two weeks on is October, out of season: due on the first in-season day, at its end (all-day).
    assert due_after_completion(rule, "UTC", completed_at=completed) == dt.datetime(2026, 4, 2, tzinfo=UTC)


def test_due_after_completion_past_until_or_count_is_none() -> None:
    until = compile_schedule(
        schedule(kind="after_completion", start="2025-01-01", every=7, until="2025-01-10")
    )
    count = compile_schedule(schedule(kind="after_completion", start="2025-01-01", every=7, count=2))
    done = dt.datetime(2025, 1, 5, 12, 0, tzinfo=UTC)
    assert due_after_completion(until, "UTC", completed_at=done) is None
    assert due_after_completion(count, "UTC", completed_at=done, completions=1) is not None
    assert due_after_completion(count, "UTC", completed_at=done, completions=2) is None


def test_due_after_completion_calendar_rule_raises_value_error() -> None:
    rule = compile_schedule(schedule(kind="daily", start="2025-01-01"))
    with pytest.raises(ValueError, match="completion-anchored"):
        due_after_completion(rule, "UTC", completed_at=dt.datetime(2025, 1, 1, tzinfo=UTC))


def test_preview_after_completion_assumes_done_on_time() -> None:
    plan = schedule(kind="after_completion", start="2025-06-02", time="19:00", every=1, unit="weeks")
    dues = preview(plan, "Europe/Berlin", now=dt.datetime(2025, 6, 1, tzinfo=UTC), limit=3)
    assert [due.astimezone(BERLIN).isoformat() for due in dues] == [
        "2025-06-02T19:00:00+02:00",
        "2025-06-09T19:00:00+02:00",
        "2025-06-16T19:00:00+02:00",
    ]


def test_preview_after_completion_already_due_counts_from_now() -> None:
    plan = schedule(kind="after_completion", start="2025-01-01", every=10, unit="days")
    dues = preview(plan, "UTC", now=dt.datetime(2025, 6, 1, 12, 0, tzinfo=UTC), limit=2)
    assert dues == [dt.datetime(2025, 6, 12, tzinfo=UTC), dt.datetime(2025, 6, 22, tzinfo=UTC)]


def test_due_times_naive_after_raises_value_error() -> None:
    rule = compile_schedule(schedule(kind="daily", start="2025-01-01"))
    with pytest.raises(ValueError, match="timezone-aware"):
        due_times(rule, "UTC", after=dt.datetime(2025, 1, 1), limit=1)


def test_schedule_time_keeps_minutes_only() -> None:
    plan = schedule(kind="once", start="2025-01-01", time="07:15:42.5+02:00")
    assert plan.time == dt.time(7, 15)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"kind": "daily", "start": "2025-02-01", "until": "2025-01-31"}, "until must not be before start"),
        ({"kind": "daily", "start": "2025-02-01", "until": "2025-03-01", "count": 3}, "not both"),
        (
            {"kind": "once", "start": "2025-02-01", "season": {"start_month": 1, "end_month": 2}},
            "Extra inputs",
        ),
        ({"kind": "once", "start": "2025-02-01", "count": 1}, "Extra inputs"),
        (
            {
                "kind": "yearly",
                "start": "2025-02-01",
                "month": 2,
                "day": 1,
                "season": {"start_month": 1, "end_month": 2},
            },
            "Extra inputs",
        ),
        ({"kind": "weekly", "start": "2025-02-01", "weekdays": []}, "at least 1 item"),
        ({"kind": "weekly", "start": "2025-02-01", "weekdays": ["mo", "mo"]}, "must not repeat"),
        (
            {
                "kind": "monthly_day",
                "start": "2025-01-01",
                "day": 5,
                "every": 12,
                "season": {"start_month": 6, "end_month": 7},
            },
            "season",
        ),
        ({"kind": "monthly_day", "start": "2025-01-01", "day": 32}, "less than or equal to 31"),
        ({"kind": "monthly_weekday", "start": "2025-01-01", "weekday": "fr", "nth": 5}, "nth"),
        ({"kind": "daily", "start": "2025-01-01", "count": 0}, "greater than or equal to 1"),
        ({"kind": "daily", "start": "2025-01-01", "every": True}, "expected an integer"),
        ({"kind": "once", "start": "2025-01-01", "time": 3600}, "ISO 8601"),
        ({"kind": "hourly", "start": "2025-01-01"}, "does not match any of the expected tags"),
    ],
)
def test_schedule_invalid_input_raises_validation_error(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        schedule(**fields)


@pytest.mark.parametrize(
    ("rrule", "dtstart", "all_day", "anchor", "message"),
    [
        ("FREQ=DAILY", dt.datetime(2025, 1, 1, tzinfo=UTC), False, "calendar", "naive"),
        ("FREQ=DAILY", dt.datetime(2025, 1, 1, 7), True, "calendar", "midnight"),
        ("FREQ=DAILY", dt.datetime(2025, 1, 1), False, "whenever", "anchor"),
        ("RRULE:FREQ=DAILY", dt.datetime(2025, 1, 1), False, "calendar", "alone"),
        ("FREQ=HOURLY", dt.datetime(2025, 1, 1), False, "calendar", "FREQ"),
        ("FREQ=DAILY;COUNT=2;UNTIL=20250105", dt.datetime(2025, 1, 1), False, "calendar", "not both"),
        ("FREQ=DAILY;INTERVAL=often", dt.datetime(2025, 1, 1), False, "calendar", "not a valid RRULE"),
        ("FREQ=DAILY;SOMETIMES=1", dt.datetime(2025, 1, 1), False, "calendar", "not a valid RRULE"),
    ],
)
def test_parse_rule_invalid_input_raises_value_error(
    rrule: str, dtstart: dt.datetime, all_day: bool, anchor: str, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        parse_rule(rrule, dtstart, all_day, anchor)


def test_schedule_json_schema_states_its_constraints() -> None:
    defs = SCHEDULE.json_schema()["$defs"]
    weekly = defs["WeeklySchedule"]
    assert weekly["properties"]["weekdays"]["uniqueItems"] is True
    assert weekly["properties"]["every"]["maximum"] == 52
    assert weekly["not"]["required"] == ["until", "count"]
    assert "season" not in defs["YearlySchedule"]["properties"]
    assert set(defs["OnceSchedule"]["properties"]) == {"kind", "start", "time"}


@pytest.mark.parametrize(
    "model",
    [
        Season,
        OnceSchedule,
        DailySchedule,
        WeeklySchedule,
        MonthlyDaySchedule,
        MonthlyWeekdaySchedule,
        YearlySchedule,
        AfterCompletionSchedule,
    ],
)
def test_schedule_models_config_matches_request_input(model: type[BaseModel]) -> None:
    # Not Input subclasses (shared.schemas imports them), so the request-body settings are checked here.
    assert model.model_config.items() >= Input.model_config.items()
