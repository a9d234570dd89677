"""API schemas (pydantic), separate from the ORM models. Families: XCreate / XUpdate / XPublic / XsPublic."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

_TZ_NAME = re.compile(r"^[A-Za-z0-9_+\-]+(/[A-Za-z0-9_+\-]+)*$")


def _check_timezone(name: str) -> str:
    if not _TZ_NAME.match(name) or name.lower() == "localtime":
        raise ValueError("not an IANA time zone name such as 'Europe/Berlin'")
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError("unknown IANA time zone; use a name such as 'Europe/Berlin'") from None
    return name


TimeZone = Annotated[
    str,
    StringConstraints(min_length=1, max_length=64),
    AfterValidator(_check_timezone),
    Field(description="IANA time zone name", examples=["Europe/Berlin"]),
]
# Names people type: trimmed, 1 to 80 characters, no control characters.
DisplayText = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=80, pattern=r"^[^\x00-\x1f\x7f]+$"),
]
RoleName = Literal["owner", "admin", "member", "child"]
InviteRole = Literal["admin", "member", "child"]
InviteStatus = Literal["active", "expired", "used_up", "revoked"]


class Input(BaseModel):
    """Request bodies refuse unknown fields, so a typo is a 422 rather than silently ignored."""

    model_config = ConfigDict(extra="forbid")


class UserPublic(BaseModel):
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


class HouseholdPublic(BaseModel):
    id: uuid.UUID
    name: str
    timezone: str
    role: RoleName = Field(description="The caller's role in this household")
    member_count: int
    created_at: datetime


class HouseholdsPublic(BaseModel):
    data: list[HouseholdPublic]
    count: int


class MemberPublic(BaseModel):
    user_id: uuid.UUID
    display_name: str
    email: str | None
    role: RoleName
    joined_at: datetime


class MembersPublic(BaseModel):
    data: list[MemberPublic]
    count: int


class MemberUpdate(Input):
    role: RoleName


class InviteCreate(Input):
    role: InviteRole = "member"
    expires_in_hours: int = Field(default=168, ge=1, le=720)
    max_uses: int = Field(default=1, ge=1, le=100)


class InvitePublic(BaseModel):
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


class InvitesPublic(BaseModel):
    data: list[InvitePublic]
    count: int


class JoinRequest(Input):
    code: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=32)]
