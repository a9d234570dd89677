"""API schemas (pydantic), separate from the ORM models. Families: XCreate / XUpdate / XPublic / XsPublic."""

from __future__ import annotations

import uuid
from datetime import datetime
from functools import cache
from importlib import resources
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, GetJsonSchemaHandler, StringConstraints
from pydantic_core import CoreSchema


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
DisplayText = Annotated[
    str,
    StringConstraints(
        min_length=1,
        max_length=80,
        pattern=r"^[^\x00-\x20\x7f-\xa0](?:[^\x00-\x1f\x7f-\x9f]*[^\x00-\x20\x7f-\xa0])?$",
    ),
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
    code: Annotated[str, StringConstraints(min_length=1, max_length=32)] = Field(
        description="The invite code; case, spaces and dashes do not matter"
    )
