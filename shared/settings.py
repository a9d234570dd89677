"""One settings object for every function, job and tool, read from the environment and `.env`."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url

Environment = Literal["development", "test", "production"]
DEMO_WEB_API_KEY = "demo-api-key"

# Passwords that ship in docker-compose.yml and .env.example: fine on a laptop, never in production.
DEFAULT_PASSWORDS = frozenset({"", "chorus", "postgres", "password", "changeme", "change-me"})


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    environment: Environment = "development"
    log_level: str = "INFO"

    database_url: str = "postgresql+asyncpg://chorus:chorus@localhost:5432/chorus"
    # Knative scales many small processes: keep each pool small and let PgBouncer multiplex.
    db_pool: Literal["queue", "null"] = "queue"
    # All kept open, none above: SQLAlchemy closes an overflow connection when it is returned, so
    # a burst beyond the kept ones would open (and handshake) new connections again and again.
    db_pool_size: int = Field(default=5, ge=1, le=50)
    db_max_overflow: int = Field(default=0, ge=0, le=50)
    db_pool_timeout: float = Field(default=5.0, gt=0)
    db_statement_timeout_ms: int = Field(default=5000, ge=0)
    # PgBouncer in transaction mode cannot keep prepared statements: set to 0 behind it.
    db_statement_cache_size: int = Field(default=100, ge=0)

    # Where people open Chorus; invite links point here.
    public_url: str = "http://localhost:8000"

    redis_url: str = "redis://localhost:6379/0"

    firebase_project_id: str = "demo-chorus"
    firebase_auth_emulator_host: str = ""
    # What the web app needs to sign in (GET /api/client-config). The Web API key is public by
    # design; the emulator accepts any. The browser reaches the emulator at this URL (default:
    # http:// + FIREBASE_AUTH_EMULATOR_HOST, which is right when both run on one machine).
    firebase_web_api_key: str = DEMO_WEB_API_KEY
    firebase_auth_domain: str = ""
    firebase_auth_emulator_url: str = ""
    google_sign_in: bool = False
    # Tokens older than this may not delete a household (Firebase's "recent login" idea).
    recent_sign_in_seconds: int = Field(default=300, ge=30)
    token_clock_skew_seconds: int = Field(default=5, ge=0, le=60)

    join_failures_before_lockout: int = Field(default=5, ge=1)

    max_body_bytes: int = Field(default=64 * 1024, ge=1024)

    # Published outbox events are kept this long (a relay replays missed events from them).
    event_retention_days: int = Field(default=14, ge=1, le=365)

    # The relay freezes its long-lived heap (functions/relay.py HEAP_FREEZE_SECONDS) and thaws it this
    # often: one full collection, which frees any garbage left in reference cycles while frozen.
    relay_heap_thaw_seconds: float = Field(default=600.0, gt=0)

    # Scheduled jobs push their outcome here when set (e.g. http://pushgateway:9091).
    pushgateway_url: str = ""

    @model_validator(mode="after")
    def _refuse_unsafe_production(self) -> Settings:
        if self.environment != "production":
            return self
        if self.firebase_auth_emulator_host or self.firebase_auth_emulator_url:
            raise ValueError("FIREBASE_AUTH_EMULATOR_HOST/_URL must not be set in production")
        if self.firebase_project_id.startswith("demo-"):
            raise ValueError("FIREBASE_PROJECT_ID is a demo project; set the real project id")
        password = make_url(self.database_url).password
        if password is None or str(password) in DEFAULT_PASSWORDS:
            raise ValueError("DATABASE_URL uses a default or empty password in production")
        if self.firebase_web_api_key == DEMO_WEB_API_KEY:
            raise ValueError("FIREBASE_WEB_API_KEY is the demo key; set the project's Web API key")
        return self

    @property
    def emulator(self) -> bool:
        return bool(self.firebase_auth_emulator_host)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
