"""API schemas (pydantic), separate from the ORM models. Families: XCreate / XUpdate / XPublic / XsPublic."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime
from functools import cache
from importlib import resources
from typing import Annotated, Any, Literal, get_args

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    GetJsonSchemaHandler,
    RootModel,
    StringConstraints,
    Tag,
    model_validator,
)
from pydantic_core import CoreSchema

from shared.schedules import Schedule


@cache
def time_zones() -> frozenset[str]:
    """IANA zone names from the pinned tzdata package, read once and only when needed.

    Not `zoneinfo.available_timezones()`: that also lists the host's files (`localtime`, …),
    which differ between machines and would make the OpenAPI document machine-dependent.
    """
    return frozenset(resources.files("tzdata").joinpath("zones").read_text().split())


def _check_timezone(name: str) -> str:
    if name not in time_zones():
        raise ValueError("unknown IANA time zone; use a name such as 'Europe/Berlin'")
    return name


class _TimeZoneSchema:
    """Documents the zone list as an enum, so clients can offer a picker and fuzzers send real ones."""

    @staticmethod
    def __get_pydantic_json_schema__(core: CoreSchema, handler: GetJsonSchemaHandler) -> dict[str, Any]:
        return {"type": "string", "enum": sorted(time_zones()), "description": "IANA time zone name"}


TimeZone = Annotated[str, AfterValidator(_check_timezone), _TimeZoneSchema]
# Names people type: 1 to 80 characters, no control characters (C0, DEL, C1), no space or
# no-break space at either end. Spelled as code-point ranges, not `\s`, because regex dialects
# (Rust in pydantic, ECMA in clients) disagree on what `\s` means. Clients trim; the server
# validates exactly what it documents.
PRINTABLE = r"^[^\x00-\x20\x7f-\xa0](?:[^\x00-\x1f\x7f-\x9f]*[^\x00-\x20\x7f-\xa0])?$"
DisplayText = Annotated[
    str,
    StringConstraints(
        min_length=1,
        max_length=80,
        pattern=PRINTABLE,
    ),
]
# Text people write, such as notes: several lines, but no other control characters (C0 but tab, line
# feed and carriage return; DEL). PostgreSQL cannot store NUL at all.
MULTILINE = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"
Notes = Annotated[str, StringConstraints(max_length=2000, pattern=MULTILINE)]
CompletionNote = Annotated[str, StringConstraints(max_length=500, pattern=MULTILINE)]


RoleName = Literal["owner", "admin", "member", "child"]
InviteRole = Literal["admin", "member", "child"]
InviteStatus = Literal["active", "expired", "used_up", "revoked"]


class Model(BaseModel):
    """The base of the API's models. Each builds its validator on first use, not at import: a
    function uses two or three of the models here, and building them all was a tenth of its start."""

    model_config = ConfigDict(defer_build=True)


class Input(Model):
    """Request bodies refuse unknown fields, so a typo is a 422 rather than silently ignored."""

    model_config = ConfigDict(extra="forbid")


class ClientConfigPublic(Model):
    """What the web app needs before anyone signs in."""

    firebase_api_key: str
    firebase_auth_domain: str
    firebase_project_id: str
    auth_emulator_url: str | None = Field(description="Set in development and tests only")
    google_sign_in: bool


class UserPublic(Model):
    id: uuid.UUID
    email: str | None
    display_name: str
    timezone: str
    created_at: datetime


class UserUpdate(Input):
    display_name: DisplayText | None = None
    timezone: TimeZone | None = None


class HouseholdCreate(Input):
    name: DisplayText
    timezone: TimeZone = "UTC"


class HouseholdUpdate(Input):
    name: DisplayText | None = None
    timezone: TimeZone | None = None


class HouseholdPublic(Model):
    id: uuid.UUID
    name: str
    timezone: str
    role: RoleName = Field(description="The caller's role in this household")
    member_count: int
    created_at: datetime


class HouseholdsPublic(Model):
    data: list[HouseholdPublic]
    count: int


class MemberPublic(Model):
    user_id: uuid.UUID
    display_name: str
    email: str | None
    role: RoleName
    joined_at: datetime


class MembersPublic(Model):
    data: list[MemberPublic]
    count: int


class MemberUpdate(Input):
    role: RoleName


class InviteCreate(Input):
    role: InviteRole = "member"
    expires_in_hours: int = Field(default=168, ge=1, le=720)
    max_uses: int = Field(default=1, ge=1, le=100)


class InvitePublic(Model):
    id: uuid.UUID
    code: str = Field(description="Share this; case and dashes do not matter when joining")
    link: str
    role: InviteRole
    status: InviteStatus
    created_at: datetime
    expires_at: datetime
    max_uses: int
    uses: int
    uses_left: int


class InvitesPublic(Model):
    data: list[InvitePublic]
    count: int


class JoinRequest(Input):
    code: Annotated[str, StringConstraints(min_length=1, max_length=32)] = Field(
        description="The invite code; case, spaces and dashes do not matter"
    )


# --- Chores and occurrences ----------------------------------------------------------------------

EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)


def _clamp(moment: datetime) -> datetime:
    # A bound far out means "no bound"; clamping keeps year-1 and year-9999 filters from
    # overflowing when converted to UTC, without refusing them.
    return min(max(moment, EARLIEST), LATEST).astimezone(UTC)


def _plausible(moment: datetime) -> datetime:
    if not EARLIEST <= moment <= LATEST:
        raise ValueError("must be between 1970 and 2200")
    return moment.astimezone(UTC)


# A filter bound: anything goes, far-out values mean "no bound".
Bound = Annotated[AwareDatetime, AfterValidator(_clamp)]
# A time something is actually due at.
DueTime = Annotated[AwareDatetime, AfterValidator(_plausible)]

StrategyName = Literal["fixed", "round_robin", "least_loaded", "random"]
ModeName = Literal["one_of", "each_of", "pool"]
MissedPolicyName = Literal["keep_open", "roll_forward", "auto_skip"]
StatusName = Literal["open", "done", "skipped", "missed"]
Title = Annotated[
    str,
    StringConstraints(
        min_length=1,
        max_length=120,
        pattern=PRINTABLE,
    ),
]
Label = Annotated[
    str,
    StringConstraints(
        min_length=1,
        max_length=40,
        pattern=PRINTABLE,
    ),
]
Eligible = Annotated[
    list[uuid.UUID],
    Field(
        min_length=1,
        max_length=50,
        json_schema_extra={"uniqueItems": True},
        description="Members in rotation order",
    ),
    AfterValidator(lambda ids: _unique(ids, "eligible")),
]
Labels = Annotated[
    list[Label],
    Field(max_length=10, json_schema_extra={"uniqueItems": True}),
    AfterValidator(lambda v: _unique(v, "labels")),
]


def _unique(values: list[Any], what: str) -> list[Any]:
    if len(set(values)) != len(values):
        raise ValueError(f"{what} lists an entry twice")
    return values


class ChoreCreate(Input):
    title: Title
    notes: Notes = ""
    room: Label | None = None
    labels: Labels = []
    effort_minutes: int = Field(default=15, ge=1, le=1440)
    points: int = Field(default=1, ge=0, le=1000)
    eligible: Eligible
    strategy: StrategyName = "round_robin"
    mode: ModeName = "one_of"
    missed_policy: MissedPolicyName = "roll_forward"
    schedule: Schedule
    paused: bool = False


class ChoreUpdate(Input):
    title: Title | None = None
    notes: Notes | None = None
    room: Label | None = None
    labels: Labels | None = None
    effort_minutes: int | None = Field(default=None, ge=1, le=1440)
    points: int | None = Field(default=None, ge=0, le=1000)
    eligible: Eligible | None = None
    strategy: StrategyName | None = None
    mode: ModeName | None = None
    missed_policy: MissedPolicyName | None = None
    schedule: Schedule | None = None
    paused: bool | None = None


class EligibleMember(Model):
    user_id: uuid.UUID
    display_name: str


class ChorePublic(Model):
    id: uuid.UUID
    household_id: uuid.UUID
    title: str
    notes: str
    room: str | None
    labels: list[str]
    effort_minutes: int
    points: int
    eligible: list[EligibleMember]
    strategy: StrategyName
    mode: ModeName
    missed_policy: MissedPolicyName
    schedule: Schedule
    rule: str = Field(description="The RFC 5545 rule the schedule compiles to (DTSTART in local time)")
    paused: bool
    archived: bool
    next_due_at: datetime | None
    created_at: datetime


class ChoresPublic(Model):
    data: list[ChorePublic]
    count: int


class ChoreQuery(Model):
    include_archived: bool = False


class SchedulePreviewRequest(Input):
    schedule: Schedule
    count: int = Field(default=10, ge=1, le=50)


class SchedulePreview(Model):
    rule: str
    due_at: list[datetime]


class OccurrencePublic(Model):
    id: uuid.UUID
    chore_id: uuid.UUID
    chore_title: str
    room: str | None
    due_at: datetime
    window_start: datetime = Field(description="Start of the local day the occurrence belongs to")
    all_day: bool
    status: StatusName
    assignee_id: uuid.UUID | None
    assignee_name: str | None
    assignment_reason: str
    for_user_id: uuid.UUID | None
    mode: ModeName
    effort_minutes: int
    points: int
    completed_at: datetime | None
    completed_by: uuid.UUID | None


class OccurrencesPublic(Model):
    data: list[OccurrencePublic]
    count: int


class OccurrenceQuery(Model):
    due_after: Bound | None = Field(default=None, description="Only occurrences due after this time")
    due_before: Bound | None = Field(default=None, description="Only occurrences due at or before this time")
    mine: bool = Field(default=False, description="Only occurrences assigned to me")
    status: list[StatusName] = Field(default=[], description="Only these statuses (repeat the parameter)")
    chore_id: uuid.UUID | None = None
    limit: int = Field(default=100, ge=1, le=500)


class CompletionCreate(Input):
    note: CompletionNote = ""
    on_behalf_of: uuid.UUID | None = Field(default=None, description="Credit another member (admins only)")


class CompletionPublic(Model):
    occurrence: OccurrencePublic
    history_id: uuid.UUID
    next: list[OccurrencePublic] = Field(description="The occurrence(s) created by this one closing")


class RescheduleRequest(Input):
    due_at: DueTime = Field(description="The new due time, with its UTC offset (1970 to 2200)")


class ReassignRequest(Input):
    assignee_id: uuid.UUID


class HistoryPublic(Model):
    id: uuid.UUID
    chore_id: uuid.UUID
    chore_title: str
    occurrence_id: uuid.UUID | None
    event: Literal["done", "undone", "skipped", "missed"]
    actor_id: uuid.UUID | None
    credited_id: uuid.UUID | None
    credited_name: str | None
    note: str
    points: int
    effort_minutes: int
    created_at: datetime


class HistoryCursor(Model):
    """Where the next (older) page starts: pass both as query parameters."""

    before: datetime
    before_id: uuid.UUID


class HistoryPage(Model):
    data: list[HistoryPublic]
    next: HistoryCursor | None = Field(description="None on the last page")


class HistoryQuery(Model):
    chore_id: uuid.UUID | None = None
    user_id: uuid.UUID | None = Field(default=None, description="Only entries credited to this member")
    before: Bound | None = Field(default=None, description="Page cursor: entries older than this…")
    before_id: uuid.UUID | None = Field(default=None, description="…or as old, with a smaller id")
    limit: int = Field(default=50, ge=1, le=200)


class LeaderboardQuery(Model):
    days: int = Field(default=28, ge=1, le=366, description="The window: the last N days")


class LeaderboardEntry(Model):
    user_id: uuid.UUID
    display_name: str
    points: int
    effort_minutes: int
    completed: int


class Leaderboard(Model):
    since: datetime
    data: list[LeaderboardEntry]


class AwayCreate(Input):
    starts_on: date
    ends_on: date
    user_id: uuid.UUID | None = Field(default=None, description="Someone else (admins only); default: you")

    @model_validator(mode="after")
    def _ordered(self) -> AwayCreate:
        if self.ends_on < self.starts_on:
            raise ValueError("ends_on is before starts_on")
        if (self.ends_on - self.starts_on).days > 366:
            raise ValueError("an away period can be at most a year long")
        if not EARLIEST.date() <= self.starts_on <= self.ends_on < LATEST.date():
            raise ValueError("away periods must lie between 1970 and 2200")
        return self


class AwayPublic(Model):
    id: uuid.UUID
    user_id: uuid.UUID
    display_name: str
    starts_on: date
    ends_on: date


class AwaysPublic(Model):
    data: list[AwayPublic]
    count: int


class CalendarFeedPublic(Model):
    id: uuid.UUID
    created_at: datetime
    revoked: bool
    revoked_at: datetime | None


class CalendarFeedCreated(Model):
    id: uuid.UUID
    url: str = Field(description="The secret iCal address; shown only now, so keep it (revoke to stop it)")
    created_at: datetime


class CalendarFeedsPublic(Model):
    data: list[CalendarFeedPublic]
    count: int


# --- Notifications -------------------------------------------------------------------------------

# Every kind of notification; services write them with `shared.notifications.notify`, the remind
# job writes `due_soon` and `overdue`.
NotificationKind = Literal[
    "assigned",
    "reassigned_away",
    "due_soon",
    "overdue",
    "completed_by_other",
    "member_joined",
    "member_left",
]
NOTIFICATION_KINDS: tuple[NotificationKind, ...] = get_args(NotificationKind)
# A local clock time as sent: HH:MM, optionally with seconds, a fraction and a UTC offset, all of
# which are dropped (quiet hours are minutes of the user's own day, not instants).
_CLOCK_IN = (
    r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]+)?)?([Zz]|[+-]([01][0-9]|2[0-3]):?[0-5][0-9])?$"
)
_CLOCK_OUT = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"
_QUIET_ZONE = "in your own time zone (`timezone` in your profile, changed with update_me)"
ClockTime = Annotated[
    str,
    StringConstraints(pattern=_CLOCK_IN),
    # The pattern guarantees "HH:MM" comes first.
    AfterValidator(lambda value: value[:5]),
    Field(description=f"HH:MM {_QUIET_ZONE}; seconds and a UTC offset are accepted and ignored"),
]
_DATE_START = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _date_time_text(value: Any) -> Any:
    # pydantic would also read a number, or a numeric string such as "0.5", as a Unix time; the
    # schema promises RFC 3339 text, so that is all that is accepted.
    if isinstance(value, datetime) or (isinstance(value, str) and _DATE_START.match(value)):
        return value
    raise ValueError("must be an RFC 3339 date-time such as 2026-11-21T09:00:00Z")


# A filter bound as documented: RFC 3339 text only; far-out values mean "no bound".
TextBound = Annotated[Bound, BeforeValidator(_date_time_text)]
MutedKinds = Annotated[
    list[NotificationKind],
    Field(max_length=len(NOTIFICATION_KINDS), json_schema_extra={"uniqueItems": True}),
    AfterValidator(lambda kinds: _unique(kinds, "muted_kinds")),
]


class NotificationPublic(Model):
    id: uuid.UUID
    household_id: uuid.UUID
    kind: NotificationKind
    text: str
    occurrence_id: uuid.UUID | None
    created_at: datetime
    read: bool


class NotificationCursor(Model):
    """Where the next (older) page starts: pass both as query parameters."""

    before: datetime
    before_id: uuid.UUID


class NotificationsPage(Model):
    data: list[NotificationPublic]
    next: NotificationCursor | None = Field(description="None on the last page")
    unread_count: int = Field(
        description="All your unread notifications (households you belong to), whatever the filters"
    )


class NotificationQuery(Model):
    unread: bool = Field(default=False, description="Only unread notifications")
    household_id: uuid.UUID | None = Field(default=None, description="Only this household's notifications")
    before: TextBound | None = Field(default=None, description="Page cursor: notifications older than this…")
    before_id: uuid.UUID | None = Field(default=None, description="…or as old, with a smaller id")
    limit: int = Field(default=50, ge=1, le=200)


class MarkReadIds(Input):
    ids: list[uuid.UUID] = Field(
        max_length=200, description="Notifications to mark read; ids that are not yours are ignored"
    )


class MarkReadBefore(Input):
    all_before: TextBound = Field(description="Mark every notification created up to this time read")


def _mark_read_variant(value: Any) -> str | None:
    """Which variant a body is: a dict while validating, a model when serializing."""
    if isinstance(value, BaseModel):
        return "ids" if isinstance(value, MarkReadIds) else "all_before"
    if isinstance(value, dict):
        return next((field for field in ("ids", "all_before") if field in value), None)
    return None


class MarkReadRequest(
    RootModel[
        Annotated[
            Annotated[MarkReadIds, Tag("ids")] | Annotated[MarkReadBefore, Tag("all_before")],
            # A callable discriminator: the schema says oneOf, and a body with neither field gets one
            # clear error instead of one per variant.
            Discriminator(
                _mark_read_variant,
                custom_error_type="ids_or_all_before",
                custom_error_message="send either ids or all_before",
            ),
        ]
    ]
):
    """Either `ids` or `all_before`, not both."""


class MarkReadResult(Model):
    marked: int = Field(description="How many were unread until now (0 when repeated)")


class QuietHours(Input):
    """No reminders from `start` until `end` (may wrap past midnight); equal times mean none."""

    start: ClockTime
    end: ClockTime


class QuietHoursPublic(Model):
    """No reminders from `start` until `end`, local times in `timezone`; may wrap past midnight."""

    start: str = Field(pattern=_CLOCK_OUT, description=f"HH:MM {_QUIET_ZONE}")
    end: str = Field(pattern=_CLOCK_OUT, description=f"HH:MM {_QUIET_ZONE}")


class NotificationSettingsPublic(Model):
    quiet_hours: QuietHoursPublic | None = Field(description="None: reminders at any time")
    muted_kinds: list[NotificationKind] = Field(description="Kinds that never reach your feed")
    timezone: str = Field(description="Your time zone, which quiet hours are in (change it with update_me)")


class NotificationSettingsUpdate(Input):
    quiet_hours: QuietHours | None = Field(
        default=None,
        description=(
            f"Local times {_QUIET_ZONE}; null clears them, and so does a start equal to its end. "
            "Leave out to keep."
        ),
    )
    muted_kinds: MutedKinds | None = Field(
        default=None,
        description="Replaces the list; null or [] mutes nothing. Leave out to keep.",
    )
