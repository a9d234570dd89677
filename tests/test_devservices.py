"""The embedded services of tests.plugin are real and reachable with the URLs handed out."""

from __future__ import annotations

import os
import time
import uuid

import pytest
import redis.asyncio as aioredis
from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import create_async_engine

from functions.devservices import DevServicesError, Services, sign_in, sign_up, unverified_claims
from tests.plugin import MakeUser


def test_environment_is_set(services: Services) -> None:
    for name, value in services.env().items():
        assert os.environ[name] == value
    assert os.environ["ENVIRONMENT"] == "test"


async def test_postgres_answers_through_sqlalchemy_asyncpg(services: Services) -> None:
    engine = create_async_engine(services.database_url)
    try:
        async with engine.connect() as connection:
            row = (await connection.execute(text("select 1, current_database()"))).one()
    finally:
        await engine.dispose()
    assert tuple(row) == (1, make_url(services.database_url).database)


async def test_redis_answers_ping_set_get(services: Services) -> None:
    client = aioredis.from_url(services.redis_url)
    key = f"test:{uuid.uuid4().hex}"
    try:
        assert await client.ping() is True
        assert await client.set(key, "value", ex=60) is True
        assert await client.get(key) == b"value"
    finally:
        await client.delete(key)
        await client.aclose()


def test_signed_up_user_has_an_emulator_id_token(services: Services, make_user: MakeUser) -> None:
    user = make_user("Alice")
    claims = unverified_claims(user.id_token)
    assert claims["aud"] == services.firebase_project_id
    assert claims["iss"] == f"https://securetoken.google.com/{services.firebase_project_id}"
    assert claims["sub"] == user.uid
    assert claims["email"] == user.email
    assert user.email.startswith("alice-")
    assert user.headers() == {"Authorization": f"Bearer {user.id_token}"}


def test_refresh_gives_a_fresh_auth_time(make_user: MakeUser) -> None:
    user = make_user()
    before = unverified_claims(user.id_token)
    time.sleep(1.1)  # auth_time has whole seconds
    user.refresh()
    after = unverified_claims(user.id_token)
    assert after["sub"] == before["sub"]
    assert after["auth_time"] > before["auth_time"]


def test_emulator_errors_are_reported(services: Services, make_user: MakeUser) -> None:
    user = make_user()
    host, project = services.firebase_auth_emulator_host, services.firebase_project_id
    with pytest.raises(DevServicesError, match=r"INVALID_LOGIN_CREDENTIALS|INVALID_PASSWORD"):
        sign_in(host, user.email, "wrong-password", project_id=project)
    with pytest.raises(DevServicesError, match="serves project"):
        sign_up(host, f"{uuid.uuid4().hex}@example.com", "password", project_id="demo-other")
