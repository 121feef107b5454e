"""Settings from environment variables and `.env`, read once per process."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from generated.security import SCOPE_ITEMS_READ, SCOPE_ITEMS_WRITE

DEFAULT_SECRET_KEY = "change-me-this-is-not-a-secret-key"


class Settings(BaseSettings):
    """Every knob of the service; secrets are `SecretStr` so they never print."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    app_name: str = "Contract API"
    environment: Literal["development", "test", "production"] = "development"
    database_url: str = "sqlite+aiosqlite:///./app.db"
    database_echo: bool = False
    secret_key: SecretStr = SecretStr(DEFAULT_SECRET_KEY)
    redis_url: str | None = None
    cors_origins: list[str] = Field(default_factory=list)
    max_page_size: int = 100
    max_body_bytes: int = 1024 * 1024
    max_upload_bytes: int = 10 * 1024 * 1024
    log_level: str = "INFO"
    log_json: bool = True
    # FastAPI's native OpenTelemetry (tracing, metrics and logs through the global providers). Off unless asked
    # for: even unconfigured, its per-request check cost ~15 us (profiled).
    opentelemetry: bool = False

    # Tokens: short-lived access JWTs; refresh tokens rotate; browser sessions last a working day.
    access_token_ttl_seconds: int = Field(default=900, ge=30)
    refresh_token_ttl_seconds: int = Field(default=14 * 24 * 3600, ge=60)
    session_ttl_seconds: int = Field(default=8 * 3600, ge=60)
    jwt_issuer: str = "contract-api"
    jwt_audience: str = "contract-api"
    jwt_leeway_seconds: int = Field(default=10, ge=0, le=120)
    default_scopes: list[str] = Field(default_factory=lambda: [SCOPE_ITEMS_READ, SCOPE_ITEMS_WRITE])
    # None: cookies are Secure exactly when the request arrived over https.
    cookie_secure: bool | None = None

    # Argon2id cost: one of OWASP's equivalent minimum profiles (m=7 MiB, t=5, p=1; the cheat sheet lists it with
    # m=19 MiB/t=2 as "an equal level of defense", trading memory for iterations). Every concurrent hash holds `m`
    # of memory: the 7 MiB profile keeps a worker within its 90 MB budget while a login is hashed (19 MiB did
    # not: 103 MB peak measured). Raise it where memory allows; old hashes are upgraded at the next login.
    argon2_time_cost: int = Field(default=5, ge=1)
    argon2_memory_cost_kib: int = Field(default=7 * 1024, ge=7 * 1024)
    argon2_parallelism: int = Field(default=1, ge=1)

    # Brute-force protection on /token and /login, shared between workers through REDIS_URL when set.
    login_failures_per_user: int = Field(default=5, ge=1)
    login_failures_per_ip: int = Field(default=50, ge=1)
    login_failure_window_seconds: int = Field(default=15 * 60, ge=1)

    @model_validator(mode="after")
    def _refuse_default_secret_in_production(self) -> Settings:
        # Starting production with a guessable key would let anyone mint tokens: fail at boot instead.
        if self.environment == "production":
            key = self.secret_key.get_secret_value()
            if key == DEFAULT_SECRET_KEY or len(key.encode()) < 32:
                raise ValueError("SECRET_KEY must be set to at least 32 bytes when ENVIRONMENT=production")
        return self


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (cached: the environment is read once)."""
    return Settings()
