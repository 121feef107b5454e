"""Settings from environment variables and `.env`, read once per process."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

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
