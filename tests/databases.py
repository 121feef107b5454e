"""Where the test databases are, and the rule that CI never skips PostgreSQL."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config

from impl.settings import Settings

REPO_ROOT = Path(__file__).resolve().parents[1]
POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")


def postgres_reachable(host: str = "127.0.0.1", port: int = 5432) -> bool:
    """Whether something listens on the PostgreSQL port."""
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


def require_postgres() -> None:
    """Skip locally, fail in CI (`CI=true`): a missing service must never turn a CI run green."""
    if postgres_reachable():
        return
    message = "PostgreSQL is not reachable on 127.0.0.1:5432"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{message} (CI=true: a missing service is a failure)")
    pytest.skip(message)


def make_settings(database_url: str, **overrides: object) -> Settings:
    """Settings for tests: cheap argon2 parameters (the production ones take ~50 ms a hash)."""
    values: dict[str, object] = {
        "database_url": database_url,
        "environment": "test",
        "log_json": False,
        "max_body_bytes": 64 * 1024,
        "argon2_time_cost": 1,
        "argon2_memory_cost_kib": 8 * 1024,
        "argon2_parallelism": 1,
        **overrides,
    }
    return Settings.model_validate(values)


def alembic_config(database_url: str) -> Config:
    """An Alembic config for the repo's migrations pointed at `database_url`."""
    config = Config(str(REPO_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(REPO_ROOT / "migrations"))
    config.set_main_option("sqlalchemy.url", database_url)
    return config


def migrate(database_url: str, revision: str = "head") -> None:
    """Bring the database to `revision` ("base" to drop everything)."""
    config = alembic_config(database_url)
    if revision == "base":
        command.downgrade(config, "base")
    else:
        command.upgrade(config, revision)
