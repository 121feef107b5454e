"""Migrations go up, down and up again on both backends, and agree with the models (`alembic check`)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import inspect
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from impl.tables import Base
from tests.databases import alembic_config, fresh_postgres_database, require_postgres


@pytest.fixture(params=["sqlite", "postgres"])
def fresh_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database of its own, so the round-trip never touches the tables other tests (or runs) use."""
    if request.param == "postgres":
        require_postgres()
        with fresh_postgres_database() as url:
            yield url
    else:
        yield f"sqlite+aiosqlite:///{tmp_path / 'migrations.db'}"


def _table_names(async_url: str) -> set[str]:
    async def read() -> set[str]:
        engine = create_async_engine(async_url)
        try:
            async with engine.connect() as conn:

                def names(sync_conn: Connection) -> set[str]:
                    return set(inspect(sync_conn).get_table_names())

                return await conn.run_sync(names)
        finally:
            await engine.dispose()

    return asyncio.run(read()) - {"alembic_version"}


def test_upgrade_downgrade_upgrade_and_check(fresh_database_url: str) -> None:
    config = alembic_config(fresh_database_url)
    command.upgrade(config, "head")
    assert _table_names(fresh_database_url) == set(Base.metadata.tables)
    command.downgrade(config, "base")
    assert _table_names(fresh_database_url) == set()
    command.upgrade(config, "head")
    command.check(config)
