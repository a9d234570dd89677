"""Calendar feeds: secret iCal URLs of a user's households' occurrences, and the runtime's raw responses."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from icalendar import Calendar, Component
from pydantic import BaseModel
from sqlalchemy import text
from starlette.responses import Response

from functions import openapi
from shared.db import session_scope
from shared.http import Access, Call, Function, build_app
from shared.observability import JsonFormatter
from tests.plugin import FirebaseUser, MakeUser
from tests.utils import (
    add_member,
    assert_problem,
    create_chore,
    create_household,
    daily,
    me,
    open_occurrences,
)

FEEDS = "/api/me/calendar-feeds"


async def _create_feed(client: httpx.AsyncClient, user: FirebaseUser) -> dict[str, Any]:
    response = await client.post(FEEDS, headers=user.headers())
    assert response.status_code == 201, response.text
    return dict(response.json())


def _path(feed: dict[str, Any]) -> str:
    return httpx.URL(feed["url"]).path


async def _events(client: httpx.AsyncClient, feed: dict[str, Any]) -> dict[str, Component]:
    """The feed's events by UID (fetched without any Authorization header: the URL is the key)."""
    response = await client.get(_path(feed))
    assert response.status_code == 200, response.text
    calendar = Calendar.from_ical(response.content)
    return {str(event["uid"]): event for event in calendar.walk("VEVENT")}


def _uid(occurrence: dict[str, Any]) -> str:
    return f"{occurrence['id']}@chorus"


async def test_create_calendar_feed_answers_a_secret_url_once(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    user = make_user()
    feed = await _create_feed(client, user)
    assert set(feed) == {"id", "url", "created_at"}
    url = httpx.URL(feed["url"])
    assert url.path.startswith("/api/calendar/")
    assert url.path.endswith(".ics")
    token = url.path.removeprefix("/api/calendar/").removesuffix(".ics")
    assert len(token) >= 43  # secrets.token_urlsafe(32)
    async with session_scope() as session:
        row = (
            await session.execute(text("SELECT * FROM calendar_feeds WHERE id = :id"), {"id": feed["id"]})
        ).one()
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in repr(row)
    listed = await client.get(FEEDS, headers=user.headers())
    assert listed.status_code == 200
    assert token not in listed.text


async def test_list_calendar_feeds_shows_own_feeds_without_tokens(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    user, other = make_user(), make_user("other")
    first, second = await _create_feed(client, user), await _create_feed(client, user)
    await _create_feed(client, other)
    revoked = await client.delete(f"{FEEDS}/{first['id']}", headers=user.headers())
    assert revoked.status_code == 204
    response = await client.get(FEEDS, headers=user.headers())
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    by_id = {feed["id"]: feed for feed in body["data"]}
    assert set(by_id) == {first["id"], second["id"]}
    assert set(by_id[first["id"]]) == {"id", "created_at", "revoked", "revoked_at"}
    assert by_id[first["id"]]["revoked"] is True
    assert by_id[first["id"]]["revoked_at"] is not None
    assert by_id[second["id"]]["revoked"] is False


async def test_get_calendar_feed_lists_occurrences_of_every_own_household(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    owner, member, stranger = make_user("owner"), make_user("member"), make_user("stranger")
    home = await create_household(client, owner, name="Flat 3B", timezone="Europe/Berlin")
    await add_member(client, owner, home["id"], member)
    owner_me, member_me = await me(client, owner), await me(client, member)
    timed = await create_chore(
        client,
        owner,
        home["id"],
        [member_me["id"], owner_me["id"]],
        title="Dishes",
        effort_minutes=20,
        strategy="fixed",
    )
    cabin = await create_household(client, owner, name="Cabin", timezone="America/New_York")
    all_day = await create_chore(
        client, owner, cabin["id"], [owner_me["id"]], title="Water plants", schedule=daily(time=None)
    )
    elsewhere = await create_household(client, stranger, name="Elsewhere")
    stranger_id = (await me(client, stranger))["id"]
    foreign = await create_chore(client, stranger, elsewhere["id"], [stranger_id], title="Secret")
    [dishes] = await open_occurrences(client, owner, home["id"], timed["id"])
    [plants] = await open_occurrences(client, owner, cabin["id"], all_day["id"])
    [secret] = await open_occurrences(client, stranger, elsewhere["id"], foreign["id"])
    feed = await _create_feed(client, owner)

    response = await client.get(_path(feed))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    assert response.headers["cache-control"] == "private, max-age=300"
    calendar = Calendar.from_ical(response.content)
    assert str(calendar["x-wr-calname"]) == "Chorus"
    assert calendar.decoded("refresh-interval") == dt.timedelta(hours=1)
    assert calendar["refresh-interval"].params["VALUE"] == "DURATION"
    assert str(calendar["x-published-ttl"]) == "PT1H"
    events = {str(event["uid"]): event for event in calendar.walk("VEVENT")}
    assert set(events) == {_uid(dishes), _uid(plants)}
    assert _uid(secret) not in events

    event = events[_uid(dishes)]
    assert str(event["summary"]) == f"Dishes — {member_me['display_name']}"
    start = event.decoded("dtstart")
    assert start == dt.datetime.fromisoformat(dishes["due_at"])
    assert start.utcoffset() == dt.timedelta(0)
    assert event.decoded("dtend") - start == dt.timedelta(minutes=20)
    description = str(event["description"])
    assert "Flat 3B" in description
    assert member_me["display_name"] in description
    assert dishes["assignment_reason"] in description
    assert "dtstamp" in event

    event = events[_uid(plants)]
    assert str(event["summary"]) == f"Water plants — {owner_me['display_name']}"
    assert event["dtstart"].params["VALUE"] == "DATE"
    day = event.decoded("dtstart")
    assert type(day) is dt.date
    due = dt.datetime.fromisoformat(plants["due_at"]).astimezone(ZoneInfo("America/New_York"))
    assert day == (due - dt.timedelta(microseconds=1)).date()  # all-day due times are the next midnight
    assert "Cabin" in str(event["description"])


async def test_get_calendar_feed_marks_done_occurrences(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    owner = make_user("owner")
    home = await create_household(client, owner)
    owner_id = (await me(client, owner))["id"]
    chore = await create_chore(client, owner, home["id"], [owner_id], title="Bins")
    [bins] = await open_occurrences(client, owner, home["id"], chore["id"])
    feed = await _create_feed(client, owner)
    done = await client.post(
        f"/api/households/{home['id']}/occurrences/{bins['id']}/complete", headers=owner.headers(), json={}
    )
    assert done.status_code == 200, done.text
    [following] = done.json()["next"]
    events = await _events(client, feed)
    assert str(events[_uid(bins)]["summary"]).endswith(" ✓")
    assert events[_uid(bins)]["categories"].to_ical() == b"done"
    assert not str(events[_uid(following)]["summary"]).endswith("✓")


async def test_get_calendar_feed_drops_a_household_once_removed(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    owner, member = make_user("owner"), make_user("member")
    home = await create_household(client, owner)
    await add_member(client, owner, home["id"], member)
    member_id = (await me(client, member))["id"]
    chore = await create_chore(client, owner, home["id"], [member_id])
    [occurrence] = await open_occurrences(client, owner, home["id"], chore["id"])
    feed = await _create_feed(client, member)
    assert _uid(occurrence) in await _events(client, feed)
    removed = await client.delete(
        f"/api/households/{home['id']}/members/{member_id}", headers=owner.headers()
    )
    assert removed.status_code == 204, removed.text
    assert await _events(client, feed) == {}


async def test_get_calendar_feed_unknown_and_revoked_tokens_are_the_same_404(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    user = make_user()
    feed = await _create_feed(client, user)
    assert (await client.get(_path(feed))).status_code == 200
    for _ in range(2):  # idempotent
        response = await client.delete(f"{FEEDS}/{feed['id']}", headers=user.headers())
        assert response.status_code == 204, response.text
    revoked = assert_problem(await client.get(_path(feed)), 404, "calendar-feed-not-found")
    unknown = assert_problem(
        await client.get("/api/calendar/not-a-real-token.ics"), 404, "calendar-feed-not-found"
    )
    same = {"type", "title", "status", "detail"}
    assert {k: revoked[k] for k in same} == {k: unknown[k] for k in same}
    # A signed-in caller gets no further: the token is the only credential.
    assert_problem(await client.get(_path(feed), headers=user.headers()), 404, "calendar-feed-not-found")
    # The suffix is part of the route.
    assert_problem(await client.get(_path(feed).removesuffix(".ics")), 404, "not-found")


async def test_get_calendar_feed_keeps_the_token_out_of_the_access_log(
    client: httpx.AsyncClient, make_user: MakeUser, caplog: pytest.LogCaptureFixture
) -> None:
    feed = await _create_feed(client, make_user())
    token = _path(feed).removeprefix("/api/calendar/").removesuffix(".ics")
    with caplog.at_level(logging.INFO, logger="chorus.http"):
        response = await client.get(_path(feed), headers={"x-request-id": "feed-log"})
    assert response.status_code == 200
    [record] = [r for r in caplog.records if getattr(r, "request_id", None) == "feed-log"]
    assert record.path == "/api/calendar/{token:str}.ics"  # type: ignore[attr-defined]
    ours = [JsonFormatter().format(r) for r in caplog.records if r.name.startswith("chorus")]
    assert ours
    assert not [line for line in ours if token in line]


async def test_revoke_calendar_feed_of_another_user_is_404(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    user, other = make_user(), make_user("other")
    feed = await _create_feed(client, user)
    response = await client.delete(f"{FEEDS}/{feed['id']}", headers=other.headers())
    assert_problem(response, 404, "calendar-feed-not-found")
    assert (await client.get(_path(feed))).status_code == 200


async def test_create_calendar_feed_caps_active_feeds(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    user = make_user()
    feeds = [await _create_feed(client, user) for _ in range(10)]
    assert_problem(await client.post(FEEDS, headers=user.headers()), 409, "calendar-feed-limit")
    assert (await client.delete(f"{FEEDS}/{feeds[0]['id']}", headers=user.headers())).status_code == 204
    await _create_feed(client, user)
    assert_problem(await client.post(FEEDS, headers=user.headers()), 409, "calendar-feed-limit")


class Note(BaseModel):
    text: str


async def get_note(call: Call) -> Response:
    """A plain-text body."""
    return Response("hello", media_type="text/plain", headers={"X-Extra": "1"})


async def test_runtime_passes_a_handler_response_through() -> None:
    fn = Function(
        handler=get_note,
        method="GET",
        path="/note.txt",
        access=Access.PUBLIC,
        tag="t",
        media_type="text/plain",
    )
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=build_app([fn])), base_url="http://t"
    ) as http:
        response = await http.get("/note.txt")
    assert response.status_code == 200
    assert response.text == "hello"
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert response.headers["x-extra"] == "1"
    assert response.headers["x-request-id"]  # the runtime's middleware still wraps it
    operation = openapi.build([fn])["paths"]["/note.txt"]["get"]
    assert operation["responses"]["200"]["content"] == {"text/plain": {"schema": {"type": "string"}}}


def test_runtime_refuses_a_response_model_for_non_json_media() -> None:
    with pytest.raises(ValueError, match="response model is JSON"):
        Function(
            handler=get_note,
            method="GET",
            path="/note.txt",
            access=Access.PUBLIC,
            tag="t",
            response=Note,
            media_type="text/plain",
        )
