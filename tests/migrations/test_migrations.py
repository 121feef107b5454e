"""Migrations go up, down and up again on both backends, and agree with the models (`alembic check`)."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import JSON, bindparam, inspect, text
from sqlalchemy.dialects.postgresql import JSONB
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


def _scopes_of(async_url: str) -> dict[int, list[str]]:
    async def read() -> dict[int, list[str]]:
        engine = create_async_engine(async_url)
        try:
            async with engine.connect() as conn:
                rows = (await conn.execute(text("SELECT id, scopes FROM users ORDER BY id"))).all()
        finally:
            await engine.dispose()
        return {row[0]: json.loads(row[1]) if isinstance(row[1], str) else row[1] for row in rows}

    return asyncio.run(read())


def _insert_users(async_url: str, scopes: list[list[str]]) -> None:
    async def write() -> None:
        engine = create_async_engine(async_url)
        try:
            async with engine.begin() as conn:
                for user_id, granted in enumerate(scopes, start=1):
                    await conn.execute(
                        text(
                            "INSERT INTO users (id, email, email_key, password_hash, scopes, is_active, created_at,"
                            " updated_at) VALUES (:id, :email, :email, 'x', :scopes, true, :now, :now)"
                        ).bindparams(bindparam("scopes", type_=JSON().with_variant(JSONB(), "postgresql"))),
                        {
                            "id": user_id,
                            "email": f"u{user_id}@example.com",
                            "scopes": granted,
                            "now": dt.datetime.now(dt.UTC),
                        },
                    )
        finally:
            await engine.dispose()

    asyncio.run(write())


def test_existing_accounts_are_granted_the_account_scopes(fresh_database_url: str) -> None:
    config = alembic_config(fresh_database_url)
    command.upgrade(config, "0002")
    _insert_users(fresh_database_url, [["items:read", "items:write"], ["items:read", "users:admin"]])
    command.upgrade(config, "head")
    account = ["notifications:send", "users:read", "users:write"]
    assert _scopes_of(fresh_database_url) == {
        1: sorted(["items:read", "items:write", *account]),
        2: sorted(["items:read", "users:admin", *account]),
    }
    command.downgrade(config, "0002")
    assert _scopes_of(fresh_database_url) == {1: ["items:read", "items:write"], 2: ["items:read", "users:admin"]}


def _index_names(async_url: str, tables: tuple[str, ...]) -> set[str]:
    async def read() -> set[str]:
        engine = create_async_engine(async_url)
        try:
            async with engine.connect() as conn:

                def names(sync_conn: Connection) -> set[str]:
                    inspector = inspect(sync_conn)
                    return {index["name"] or "" for table in tables for index in inspector.get_indexes(table)}

                return await conn.run_sync(names)
        finally:
            await engine.dispose()

    return asyncio.run(read())


def test_the_housekeeping_indexes_come_with_0006_and_go_with_its_downgrade(fresh_database_url: str) -> None:
    config = alembic_config(fresh_database_url)
    tables = ("idempotency_keys", "sessions", "notification_outbox")
    housekeeping = {"ix_idempotency_keys_created_at", "ix_sessions_created_at", "ix_notification_outbox_delivered_at"}
    command.upgrade(config, "0005")
    before = _index_names(fresh_database_url, tables)
    assert before.isdisjoint(housekeeping)
    command.upgrade(config, "0006")
    assert _index_names(fresh_database_url, tables) == before | housekeeping
    command.downgrade(config, "0005")
    assert _index_names(fresh_database_url, tables) == before
