"""Settings refuse an unsafe production configuration and never print secrets."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from pydantic import ValidationError

from impl.app import create_app
from impl.settings import DEFAULT_SECRET_KEY, Settings
from tests.databases import REPO_ROOT, make_settings


def test_production_with_default_secret_key_is_refused() -> None:
    with pytest.raises(ValidationError, match="SECRET_KEY"):
        Settings(environment="production")


def test_production_with_short_secret_key_is_refused() -> None:
    with pytest.raises(ValidationError, match="32 bytes"):
        Settings(environment="production", secret_key="too-short")  # type: ignore[arg-type]


def test_production_with_strong_secret_key_starts() -> None:
    settings = Settings(environment="production", secret_key="k" * 32)  # type: ignore[arg-type]
    assert settings.environment == "production"


def test_secret_key_never_appears_in_repr() -> None:
    assert DEFAULT_SECRET_KEY not in repr(Settings())


def test_settings_read_environment_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "sqlite+aiosqlite:///./other.db")
    monkeypatch.setenv("CORS_ORIGINS", '["https://app.example.com"]')
    settings = Settings()
    assert settings.database_url.endswith("other.db")
    assert settings.cors_origins == ["https://app.example.com"]


def test_the_app_refuses_to_start_in_production_with_the_default_secret_key() -> None:
    env = {**os.environ, "ENVIRONMENT": "production", "DATABASE_URL": "sqlite+aiosqlite:///:memory:"}
    env.pop("SECRET_KEY", None)
    result = subprocess.run(
        [sys.executable, "-c", "import impl.app"], env=env, capture_output=True, text=True, timeout=60, cwd=REPO_ROOT
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set to at least 32 bytes" in result.stderr
    assert DEFAULT_SECRET_KEY not in result.stderr


def test_opentelemetry_is_off_unless_configured() -> None:
    # FastAPI checks its global OTel providers on every request unless told not to (~15 us, profiled).
    app = create_app(make_settings("sqlite+aiosqlite://"))
    assert not app._native_telemetry.enabled()
    traced = create_app(make_settings("sqlite+aiosqlite://", opentelemetry=True))
    assert traced._telemetry["tracing"] and traced._telemetry["metrics"]
