"""Where the test databases are, and the rule that CI never skips PostgreSQL."""

from __future__ import annotations

import atexit
import os
import secrets
import shutil
import socket
import tempfile
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from fastapi import FastAPI
from sqlalchemy import delete

from bench.pgdb import connect as connect  # the tests' plain asyncpg connections, imported from here
from bench.pgdb import fresh_database, name_pattern
from impl.settings import Settings
from impl.tables import metadata

REPO_ROOT = Path(__file__).resolve().parents[1]
# The server, and a maintenance database the tests only connect to: every run (and every xdist worker) creates
# databases of its own next to it with `fresh_postgres_database`, so concurrent runs never share tables.
POSTGRES_SERVER_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
# `test_<pid>_<random>`: only names of this shape are ever dropped by a later run's clean-up (also a PostgreSQL
# regular expression).
RUN_PREFIX = "test"
RUN_DATABASE_NAME = name_pattern(RUN_PREFIX)


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


# Uploaded files of this test process go to a directory of its own, removed at exit (tests that inspect storage
# pass their own `storage_dir`). Within a run, under the run's root (`storage_root`), which the run removes at its
# end: a server process a test kills on purpose never reaches its exit handler.
STORAGE_ROOT_VARIABLE = "CONTRACT_API_TEST_STORAGE_ROOT"
TEST_STORAGE_DIR = tempfile.mkdtemp(prefix="contract-api-storage-", dir=os.environ.get(STORAGE_ROOT_VARIABLE))
atexit.register(shutil.rmtree, TEST_STORAGE_DIR, ignore_errors=True)


@contextmanager
def storage_root() -> Iterator[None]:
    """While the block runs, processes started from this one (xdist workers, servers) keep their uploads under one
    directory, removed with everything in it when the block ends."""
    root = tempfile.mkdtemp(prefix="contract-api-run-storage-")
    os.environ[STORAGE_ROOT_VARIABLE] = root
    try:
        yield
    finally:
        os.environ.pop(STORAGE_ROOT_VARIABLE, None)
        shutil.rmtree(root, ignore_errors=True)


# Drawn per test process, never written down: shared by every Settings a test makes, so tokens minted by a test
# helper (the fuzzer's) verify in the app under test.
TEST_SECRET_KEY = secrets.token_urlsafe(32)


def make_settings(database_url: str, **overrides: object) -> Settings:
    """Settings for tests: cheap argon2 parameters (the production ones take ~50 ms a hash), and sign-ups not
    limited (every test signs up from one address; tests/e2e/test_attempt_limits.py covers the limit)."""
    values: dict[str, object] = {
        "database_url": database_url,
        "environment": "test",
        "secret_key": TEST_SECRET_KEY,
        "signups_per_address": 10**6,
        "log_json": False,
        "max_body_bytes": 64 * 1024,
        "argon2_time_cost": 1,
        "argon2_memory_cost_kib": 8 * 1024,
        "argon2_parallelism": 1,
        "storage_dir": TEST_STORAGE_DIR,
        # Never a real mail server, whatever the environment says: the log sender, delivered in-process.
        "smtp_host": None,
        "notifications_queue": "embedded",
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


def fresh_postgres_database() -> AbstractContextManager[str]:
    """A new empty database `test_<pid>_<random>` on the test server, dropped (with FORCE) when the block ends;
    the databases of killed runs are dropped first (bench/pgdb.py says how they are recognised)."""
    return fresh_database(POSTGRES_SERVER_URL, RUN_PREFIX)


async def empty_tables(app: FastAPI) -> None:
    """Delete every row the app wrote (children first, so foreign keys hold)."""
    async with app.state.database.connect() as conn:
        for table in reversed(metadata.sorted_tables):
            await conn.execute(delete(table))
        await conn.commit()


async def empty_and_close(app: FastAPI, *, empty: bool = True) -> None:
    """Delete every row the app wrote (`empty_tables`), then close its database."""
    if empty:
        await empty_tables(app)
    await app.state.database.dispose()
