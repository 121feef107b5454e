"""What a worker loads: on SQLite the app never imports SQLAlchemy's ORM or its asyncio layer (~8 MB of RSS per
worker, measured), however it is used; on PostgreSQL it loads the asyncio engine it needs, and works. On either, a
worker that serves no docs neither parses the contract nor imports PyYAML (1.4 MiB of peak RSS, measured).

Each case runs tests/e2e/footprint_journey.py in a fresh interpreter, as `make run` starts one: `impl.app:app` built
from the environment, its lifespan run, a journey of requests through it (sign-up, login, refresh, writes, reads,
metrics) and a sweep.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.databases import REPO_ROOT, fresh_postgres_database, migrate, require_postgres
from tests.processes import CHEAP_ACCOUNTS, process_environment

HEAVY = ("sqlalchemy.orm", "sqlalchemy.ext.asyncio", "yaml")

EXPECTED_STATUSES = [201, 200, 200, 201, 200, 200, 200, 200, 200, 200]


@pytest.fixture(params=["sqlite", "postgres"])
def own_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """(backend, URL) of a migrated database of the test's own: the journey's rows touch no other test's."""
    if request.param == "postgres":
        require_postgres()
        with fresh_postgres_database() as url:
            migrate(url)
            yield "postgres", url
    else:
        url = f"sqlite+aiosqlite:///{tmp_path / 'footprint.db'}"
        migrate(url)
        yield "sqlite", url


def _run_journey(database_url: str) -> dict[str, list[object]]:
    env = process_environment({**CHEAP_ACCOUNTS, "DATABASE_URL": database_url})
    completed = subprocess.run(
        [sys.executable, "-m", "tests.e2e.footprint_journey", *HEAVY],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-4000:]
    result: dict[str, list[object]] = json.loads(completed.stdout.strip().splitlines()[-1])
    return result


def test_the_app_never_loads_yaml_and_on_sqlite_neither_the_orm_nor_the_asyncio_layer(
    own_database: tuple[str, str],
) -> None:
    backend, url = own_database
    result = _run_journey(url)
    assert result["statuses"] == EXPECTED_STATUSES
    if backend == "sqlite":
        assert result["loaded"] == []
    else:
        # PostgreSQL runs on asyncpg through the asyncio engine, imported when the database is opened.
        assert "sqlalchemy.ext.asyncio" in result["loaded"]
        assert "yaml" not in result["loaded"]
