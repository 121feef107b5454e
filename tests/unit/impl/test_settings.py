"""Settings refuse an unsafe production configuration and never print secrets."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from pydantic import ValidationError

from impl.app import create_app
from impl.settings import Settings
from tests.databases import REPO_ROOT, make_settings


def test_production_without_secret_key_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(ValidationError, match="SECRET_KEY must be set"):
        Settings(environment="production")


@pytest.mark.parametrize("environment", ["development", "test", "production"])
def test_a_short_secret_key_is_refused_in_every_environment(environment: str) -> None:
    with pytest.raises(ValidationError, match="32 bytes"):
        Settings(environment=environment, secret_key="k" * 31)  # type: ignore[arg-type]


def test_production_with_strong_secret_key_starts() -> None:
    settings = Settings(environment="production", secret_key="k" * 32)  # type: ignore[arg-type]
    assert settings.signing_key.get_secret_value() == "k" * 32
    assert not settings.signing_key_is_ephemeral


@pytest.mark.parametrize("environment", ["development", "test"])
def test_without_secret_key_each_process_signs_with_its_own_random_key(
    environment: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SECRET_KEY", raising=False)
    first, second = Settings(environment=environment), Settings(environment=environment)  # type: ignore[arg-type]
    assert first.signing_key_is_ephemeral
    assert len(first.signing_key.get_secret_value().encode()) >= 32
    assert first.signing_key.get_secret_value() != second.signing_key.get_secret_value()
    # No key comes from the source: nothing in impl/ contains the key in use.
    sources = "".join(path.read_text() for path in (REPO_ROOT / "impl").rglob("*.py"))
    assert first.signing_key.get_secret_value() not in sources


@pytest.mark.parametrize("shared", [{"web_concurrency": 2}, {"redis_url": "redis://127.0.0.1:6379/0"}])
def test_several_workers_need_a_shared_secret_key(shared: dict[str, object], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(ValidationError, match="several workers"):
        Settings.model_validate(shared)
    assert Settings.model_validate({**shared, "secret_key": "k" * 32}).signing_key.get_secret_value() == "k" * 32


def test_uvicorn_worker_count_is_read_from_web_concurrency(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEB_CONCURRENCY", "4")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(ValidationError, match="several workers"):
        Settings()


def test_secret_key_never_appears_in_repr() -> None:
    settings = Settings(secret_key="s" * 40)  # type: ignore[arg-type]
    assert "s" * 40 not in repr(settings)
    ephemeral = Settings()
    assert ephemeral.signing_key.get_secret_value() not in repr(ephemeral)


def test_the_app_says_at_start_up_that_its_key_is_per_process(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level("WARNING", logger="impl.app"):
        create_app(make_settings("sqlite+aiosqlite://", secret_key=None))
    [record] = [r for r in caplog.records if "SECRET_KEY is not set" in r.getMessage()]
    assert "random key made for this process" in record.getMessage()
    caplog.clear()
    with caplog.at_level("WARNING", logger="impl.app"):
        create_app(make_settings("sqlite+aiosqlite://"))
    assert not [r for r in caplog.records if "SECRET_KEY" in r.getMessage()]


def test_settings_read_environment_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "sqlite+aiosqlite:///./other.db")
    monkeypatch.setenv("CORS_ORIGINS", '["https://app.example.com"]')
    settings = Settings()
    assert settings.database_url.endswith("other.db")
    assert settings.cors_origins == ["https://app.example.com"]


def test_the_app_refuses_to_start_in_production_without_a_secret_key() -> None:
    env = {**os.environ, "ENVIRONMENT": "production", "DATABASE_URL": "sqlite+aiosqlite:///:memory:"}
    env.pop("SECRET_KEY", None)
    result = subprocess.run(
        [sys.executable, "-c", "import impl.app"], env=env, capture_output=True, text=True, timeout=60, cwd=REPO_ROOT
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_opentelemetry_is_off_unless_configured() -> None:
    # FastAPI checks its global OTel providers on every request unless told not to (~15 us, profiled).
    app = create_app(make_settings("sqlite+aiosqlite://"))
    assert not app._native_telemetry.enabled()
    traced = create_app(make_settings("sqlite+aiosqlite://", opentelemetry=True))
    assert traced._telemetry["tracing"] and traced._telemetry["metrics"]


def test_make_serve_refuses_to_start_several_workers_without_a_secret_key() -> None:
    env = {key: value for key, value in os.environ.items() if key not in ("SECRET_KEY", "MAKEFLAGS", "MFLAGS")}
    result = subprocess.run(
        ["make", "-s", "serve"], env=env, capture_output=True, text=True, timeout=60, cwd=REPO_ROOT, check=False
    )
    assert result.returncode != 0
    assert "set SECRET_KEY" in result.stderr
