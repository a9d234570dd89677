"""The baseline Chorus is measured against: the seed spec's stack as people usually build it.

One FastAPI monolith (FastAPI + SQLAlchemy async + firebase-admin) with every operation of
functions/registry.py as a route (same paths and methods), all loaded when the module is
imported, auth, sessions and household roles as FastAPI dependencies, and `response_model`
serialization from the return annotations. The domain work is Chorus's own, so only the framework
and the packaging differ: the same token check (`shared.auth`, firebase-admin against the
emulator), the same caller query (`shared.users.resolve_caller`), the same services and pydantic
schemas, the same engine and pool (`shared.db`, DB_POOL_SIZE / DB_MAX_OVERFLOW).

Serve it as `chorus serve` serves a function (one uvicorn process, the same log level, no access
log):

    python -m bench.baseline.fastapi_app --host 127.0.0.1 --port 8080

Where it answers differently from Chorus (none of it on the benchmarked routes): a malformed UUID
in a path is a 422 (FastAPI validates the parameter) rather than a 404 (no route); there is no
body size limit, no request id and no per-request JSON log line or request metrics (Chorus's
runtime does all three, so the baseline does less work per request than Chorus does).
"""

from __future__ import annotations

import argparse
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Annotated, Any

import sqlalchemy.exc
from fastapi import Body, Depends, FastAPI, Header, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.exceptions import HTTPException as StarletteHTTPException

from shared import (
    auth,
    away,
    calendar,
    chores,
    db,
    events,
    history,
    households,
    invites,
    members,
    notifications,
    occurrences,
    users,
)
from shared.errors import ChorusError, Forbidden, NotFound
from shared.models import Membership, Role, User
from shared.observability import configure_logging
from shared.schemas import (
    AwayCreate,
    AwayPublic,
    AwaysPublic,
    CalendarFeedCreated,
    CalendarFeedsPublic,
    ChoreCreate,
    ChorePublic,
    ChoreQuery,
    ChoresPublic,
    ChoreUpdate,
    ClientConfigPublic,
    CompletionCreate,
    CompletionPublic,
    HistoryPage,
    HistoryQuery,
    HouseholdCreate,
    HouseholdPublic,
    HouseholdsPublic,
    HouseholdUpdate,
    InviteCreate,
    InvitePublic,
    InvitesPublic,
    JoinRequest,
    Leaderboard,
    LeaderboardQuery,
    MarkReadRequest,
    MarkReadResult,
    MemberPublic,
    MembersPublic,
    MemberUpdate,
    NotificationQuery,
    NotificationSettingsPublic,
    NotificationSettingsUpdate,
    NotificationsPage,
    OccurrencePublic,
    OccurrenceQuery,
    OccurrencesPublic,
    ReassignRequest,
    RescheduleRequest,
    SchedulePreview,
    SchedulePreviewRequest,
    UserPublic,
    UserUpdate,
)
from shared.settings import get_settings

PROBLEM = "application/problem+json"

# --- dependencies -------------------------------------------------------------------------------


async def get_session() -> AsyncIterator[AsyncSession]:
    async with db.session_scope() as session:
        yield session


async def get_claims(request: Request) -> auth.Claims:
    return await auth.authenticate(request)


SessionDep = Annotated[AsyncSession, Depends(get_session)]
ClaimsDep = Annotated[auth.Claims, Depends(get_claims)]


async def get_user(claims: ClaimsDep, session: SessionDep) -> User:
    user, _ = await users.resolve_caller(session, claims=claims, household_id=None)
    return user


def household_role(least: Role) -> Callable[..., Awaitable[Membership]]:
    """A dependency: the caller's membership of `{household_id}`, at least `least`."""

    async def membership(household_id: uuid.UUID, claims: ClaimsDep, session: SessionDep) -> Membership:
        _, found = await users.resolve_caller(session, claims=claims, household_id=household_id)
        if found is None:
            raise NotFound("household not found", code="household-not-found")
        if found.role.rank < least.rank:
            raise Forbidden(f"this needs the {least.value} role in this household", code="role-required")
        return found

    return membership


CurrentUser = Annotated[User, Depends(get_user)]
Member = Annotated[Membership, Depends(household_role(Role.CHILD))]
Adult = Annotated[Membership, Depends(household_role(Role.MEMBER))]
Admin = Annotated[Membership, Depends(household_role(Role.ADMIN))]
Owner = Annotated[Membership, Depends(household_role(Role.OWNER))]

# --- errors: RFC 9457 problem documents, as Chorus answers them ---------------------------------


def problem(
    request: Request,
    status: int,
    *,
    code: str,
    title: str,
    detail: str,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response:
    body = {
        "type": f"/problems/{code}",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
        **extra,
    }
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


async def chorus_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ChorusError)
    headers = dict(exc.headers)
    if exc.status == 401:
        headers.setdefault("WWW-Authenticate", 'Bearer error="invalid_token"')
    return problem(
        request, exc.status, code=exc.code, title=exc.title, detail=exc.detail, headers=headers, **exc.extra
    )


async def validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    issues = [{"loc": list(e["loc"]), "message": e["msg"], "type": e["type"]} for e in exc.errors()]
    if any(issue["type"] == "json_invalid" for issue in issues):
        return problem(
            request,
            400,
            code="malformed-json",
            title="Bad request",
            detail="the request body is not valid JSON",
        )
    return problem(
        request,
        422,
        code="validation-failed",
        title="The request is not valid",
        detail="the request is not valid",
        errors=issues,
    )


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    code = {404: "not-found", 405: "method-not-allowed"}.get(exc.status_code, f"http-{exc.status_code}")
    return problem(
        request,
        exc.status_code,
        code=code,
        title="Error",
        detail=str(exc.detail),
        headers=dict(exc.headers or {}),
    )


async def database_down(request: Request, exc: Exception) -> Response:
    return problem(
        request,
        503,
        code="database-unavailable",
        title="Temporarily unavailable",
        detail="the database is not reachable; try again shortly",
        headers={"Retry-After": "5"},
    )


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    yield
    await events.close()
    await db.dispose_engine()


app = FastAPI(title="Chorus (FastAPI monolith baseline)", lifespan=lifespan)
app.add_exception_handler(ChorusError, chorus_error)
app.add_exception_handler(RequestValidationError, validation_error)
app.add_exception_handler(StarletteHTTPException, http_error)
for _down in (
    sqlalchemy.exc.OperationalError,
    sqlalchemy.exc.InterfaceError,
    sqlalchemy.exc.TimeoutError,
    OSError,
):
    app.add_exception_handler(_down, database_down)

HH = "/api/households/{household_id}"

# --- ops ----------------------------------------------------------------------------------------


@app.get("/healthz", include_in_schema=False)
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@app.get("/readyz", include_in_schema=False)
async def readyz(session: SessionDep) -> dict[str, str]:
    await session.execute(text("SELECT 1"))
    return {"status": "ready"}


@app.get("/metrics", include_in_schema=False)
async def metrics() -> Response:
    from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


# --- client, me ---------------------------------------------------------------------------------


@app.get("/api/client-config", tags=["client"])
async def get_client_config() -> ClientConfigPublic:
    settings = get_settings()
    emulator = None
    if settings.emulator:
        emulator = settings.firebase_auth_emulator_url or f"http://{settings.firebase_auth_emulator_host}"
    return ClientConfigPublic(
        firebase_api_key=settings.firebase_web_api_key,
        firebase_auth_domain=settings.firebase_auth_domain
        or f"{settings.firebase_project_id}.firebaseapp.com",
        firebase_project_id=settings.firebase_project_id,
        auth_emulator_url=emulator,
        google_sign_in=settings.google_sign_in,
    )


@app.get("/api/me", tags=["me"])
async def get_me(user: CurrentUser) -> UserPublic:
    return users.to_public(user)


@app.patch("/api/me", tags=["me"])
async def update_me(data: UserUpdate, user: CurrentUser, session: SessionDep) -> UserPublic:
    return await users.update(session, user=user, data=data)


# --- households ---------------------------------------------------------------------------------


@app.post("/api/households", status_code=201, tags=["households"])
async def create_household(data: HouseholdCreate, user: CurrentUser, session: SessionDep) -> HouseholdPublic:
    return await households.create(session, user=user, data=data)


@app.get("/api/households", tags=["households"])
async def list_households(user: CurrentUser, session: SessionDep) -> HouseholdsPublic:
    return await households.list_for_user(session, user=user)


@app.post("/api/households/join", tags=["households"])
async def join_household(data: JoinRequest, user: CurrentUser, session: SessionDep) -> HouseholdPublic:
    return await invites.join(session, user=user, raw_code=data.code)


@app.get(HH, tags=["households"])
async def get_household(member: Member, session: SessionDep) -> HouseholdPublic:
    return await households.get(session, membership=member)


@app.patch(HH, tags=["households"])
async def update_household(data: HouseholdUpdate, member: Admin, session: SessionDep) -> HouseholdPublic:
    return await households.update(session, membership=member, data=data)


@app.delete(HH, status_code=204, tags=["households"])
async def delete_household(member: Owner, claims: ClaimsDep, session: SessionDep) -> None:
    await households.delete(session, membership=member, claims=claims)


@app.post(HH + "/leave", status_code=204, tags=["households"])
async def leave_household(member: Member, session: SessionDep) -> None:
    await members.leave(session, membership=member)


# --- invites ------------------------------------------------------------------------------------


@app.post(HH + "/invites", status_code=201, tags=["invites"])
async def create_invite(
    member: Admin, session: SessionDep, data: Annotated[InviteCreate | None, Body()] = None
) -> InvitePublic:
    return await invites.create(session, membership=member, data=data or InviteCreate())


@app.get(HH + "/invites", tags=["invites"])
async def list_invites(member: Admin, session: SessionDep) -> InvitesPublic:
    return await invites.list_for_household(session, household_id=member.household_id)


@app.delete(HH + "/invites/{invite_id}", status_code=204, tags=["invites"])
async def revoke_invite(invite_id: uuid.UUID, member: Admin, session: SessionDep) -> None:
    await invites.revoke(session, household_id=member.household_id, invite_id=invite_id)


# --- members and away ---------------------------------------------------------------------------


@app.get(HH + "/members", tags=["members"])
async def list_members(member: Member, session: SessionDep) -> MembersPublic:
    return await members.list_for_household(session, household_id=member.household_id)


@app.patch(HH + "/members/{user_id}", tags=["members"])
async def update_member(
    user_id: uuid.UUID, data: MemberUpdate, member: Admin, session: SessionDep
) -> MemberPublic:
    return await members.update(session, membership=member, user_id=user_id, data=data)


@app.delete(HH + "/members/{user_id}", status_code=204, tags=["members"])
async def remove_member(user_id: uuid.UUID, member: Admin, session: SessionDep) -> None:
    await members.remove(session, membership=member, user_id=user_id)


@app.post(HH + "/away", status_code=201, tags=["members"])
async def set_away(data: AwayCreate, member: Member, session: SessionDep) -> AwayPublic:
    return await away.create(session, membership=member, data=data)


@app.get(HH + "/away", tags=["members"])
async def list_away(member: Member, session: SessionDep) -> AwaysPublic:
    return await away.list_for_household(session, household_id=member.household_id)


@app.delete(HH + "/away/{away_id}", status_code=204, tags=["members"])
async def cancel_away(away_id: uuid.UUID, member: Member, session: SessionDep) -> None:
    await away.delete(session, membership=member, away_id=away_id)


# --- chores -------------------------------------------------------------------------------------


@app.post(HH + "/chores", status_code=201, tags=["chores"])
async def create_chore(data: ChoreCreate, member: Adult, session: SessionDep) -> ChorePublic:
    return await chores.create(session, membership=member, data=data)


@app.get(HH + "/chores", tags=["chores"])
async def list_chores(
    query: Annotated[ChoreQuery, Query()], member: Member, session: SessionDep
) -> ChoresPublic:
    return await chores.list_for_household(
        session, household_id=member.household_id, include_archived=query.include_archived
    )


@app.get(HH + "/chores/{chore_id}", tags=["chores"])
async def get_chore(chore_id: uuid.UUID, member: Member, session: SessionDep) -> ChorePublic:
    return await chores.get(session, household_id=member.household_id, chore_id=chore_id)


@app.patch(HH + "/chores/{chore_id}", tags=["chores"])
async def update_chore(
    chore_id: uuid.UUID, data: ChoreUpdate, member: Adult, session: SessionDep
) -> ChorePublic:
    return await chores.update(session, membership=member, chore_id=chore_id, data=data)


@app.post(HH + "/chores/{chore_id}/archive", status_code=204, tags=["chores"])
async def archive_chore(chore_id: uuid.UUID, member: Adult, session: SessionDep) -> None:
    await chores.archive(session, membership=member, chore_id=chore_id)


@app.post(HH + "/schedule-preview", tags=["chores"])
async def preview_schedule(
    data: SchedulePreviewRequest, member: Member, session: SessionDep
) -> SchedulePreview:
    return await chores.preview(session, household_id=member.household_id, data=data)


# --- occurrences --------------------------------------------------------------------------------

OCC = HH + "/occurrences/{occurrence_id}"


@app.get(HH + "/occurrences", tags=["occurrences"])
async def list_occurrences(
    query: Annotated[OccurrenceQuery, Query()], member: Member, session: SessionDep
) -> OccurrencesPublic:
    return await occurrences.list_for_household(session, membership=member, query=query)


@app.post(OCC + "/complete", tags=["occurrences"])
async def complete_occurrence(
    occurrence_id: uuid.UUID,
    member: Member,
    session: SessionDep,
    data: Annotated[CompletionCreate | None, Body()] = None,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> CompletionPublic:
    return await occurrences.complete(
        session,
        membership=member,
        occurrence_id=occurrence_id,
        data=data or CompletionCreate(),
        idempotency_key=idempotency_key or None,
    )


@app.post(OCC + "/undo", tags=["occurrences"])
async def undo_completion(occurrence_id: uuid.UUID, member: Member, session: SessionDep) -> OccurrencePublic:
    return await occurrences.undo(session, membership=member, occurrence_id=occurrence_id)


@app.post(OCC + "/skip", tags=["occurrences"])
async def skip_occurrence(occurrence_id: uuid.UUID, member: Member, session: SessionDep) -> CompletionPublic:
    return await occurrences.skip(session, membership=member, occurrence_id=occurrence_id)


@app.post(OCC + "/reschedule", tags=["occurrences"])
async def reschedule_occurrence(
    occurrence_id: uuid.UUID, data: RescheduleRequest, member: Member, session: SessionDep
) -> OccurrencePublic:
    return await occurrences.reschedule(session, membership=member, occurrence_id=occurrence_id, data=data)


@app.post(OCC + "/reassign", tags=["occurrences"])
async def reassign_occurrence(
    occurrence_id: uuid.UUID, data: ReassignRequest, member: Member, session: SessionDep
) -> OccurrencePublic:
    return await occurrences.reassign(session, membership=member, occurrence_id=occurrence_id, data=data)


@app.post(OCC + "/claim", tags=["occurrences"])
async def claim_occurrence(occurrence_id: uuid.UUID, member: Member, session: SessionDep) -> OccurrencePublic:
    return await occurrences.claim(session, membership=member, occurrence_id=occurrence_id)


# --- history ------------------------------------------------------------------------------------


@app.get(HH + "/completions", tags=["history"])
async def list_completions(
    query: Annotated[HistoryQuery, Query()], member: Member, session: SessionDep
) -> HistoryPage:
    return await history.list_for_household(session, household_id=member.household_id, query=query)


@app.get(HH + "/leaderboard", tags=["history"])
async def get_leaderboard(
    query: Annotated[LeaderboardQuery, Query()], member: Member, session: SessionDep
) -> Leaderboard:
    return await history.leaderboard(session, household_id=member.household_id, days=query.days)


# --- calendar -----------------------------------------------------------------------------------


@app.post("/api/me/calendar-feeds", status_code=201, tags=["calendar"])
async def create_calendar_feed(user: CurrentUser, session: SessionDep) -> CalendarFeedCreated:
    return await calendar.create(session, user_id=user.id)


@app.get("/api/me/calendar-feeds", tags=["calendar"])
async def list_calendar_feeds(user: CurrentUser, session: SessionDep) -> CalendarFeedsPublic:
    return await calendar.list_for_user(session, user_id=user.id)


@app.delete("/api/me/calendar-feeds/{feed_id}", status_code=204, tags=["calendar"])
async def revoke_calendar_feed(feed_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> None:
    await calendar.revoke(session, user_id=user.id, feed_id=feed_id)


@app.get("/api/calendar/{token}.ics", tags=["calendar"], response_class=Response)
async def get_calendar_feed(token: str, session: SessionDep) -> Response:
    body = await calendar.render(session, token=token)
    return Response(body, media_type="text/calendar", headers={"Cache-Control": "private, max-age=300"})


# --- notifications ------------------------------------------------------------------------------


@app.get("/api/me/notifications", tags=["notifications"])
async def list_notifications(
    query: Annotated[NotificationQuery, Query()], user: CurrentUser, session: SessionDep
) -> NotificationsPage:
    return await notifications.list_for_user(session, user_id=user.id, query=query)


@app.post("/api/me/notifications/read", tags=["notifications"])
async def mark_notifications_read(
    data: MarkReadRequest, user: CurrentUser, session: SessionDep
) -> MarkReadResult:
    return await notifications.mark_read(session, user_id=user.id, request=data)


@app.get("/api/me/notification-settings", tags=["notifications"])
async def get_notification_settings(user: CurrentUser) -> NotificationSettingsPublic:
    return notifications.get_settings(user=user)


@app.patch("/api/me/notification-settings", tags=["notifications"])
async def update_notification_settings(
    data: NotificationSettingsUpdate, user: CurrentUser, session: SessionDep
) -> NotificationSettingsPublic:
    return await notifications.update_settings(session, user=user, data=data)


def main() -> None:
    """Serve the monolith with the settings `chorus serve` uses (functions/cli.py `_serve`)."""
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    args = parser.parse_args()
    configure_logging(get_settings().log_level)
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=8,
        proxy_headers=True,
        forwarded_allow_ips="*",
    )


if __name__ == "__main__":
    main()
