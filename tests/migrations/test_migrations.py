"""Migrations go up, down and up again on both backends, and agree with the models (`alembic check`)."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import JSON, BigInteger, DateTime, String, bindparam, column, insert, inspect, select, table, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from impl.tables import UTCDateTime, metadata
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
    assert _table_names(fresh_database_url) == set(metadata.tables)
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


def test_0008_drops_the_name_index_no_query_uses_and_its_downgrade_restores_it(fresh_database_url: str) -> None:
    config = alembic_config(fresh_database_url)
    command.upgrade(config, "0007")
    assert "ix_items_name" in _index_names(fresh_database_url, ("items",))
    command.upgrade(config, "0008")
    assert _index_names(fresh_database_url, ("items",)) == {"ix_items_owner_id"}
    command.downgrade(config, "0007")
    assert "ix_items_name" in _index_names(fresh_database_url, ("items",))


# As the app writes them (SQLite keeps its 'YYYY-MM-DD HH:MM:SS.ffffff' text), not as raw SQL would.
_TIMESTAMP = DateTime(timezone=True)
_sessions_0006 = table(
    "sessions",
    column("id", String()),
    column("user_id", BigInteger()),
    column("scope", String()),
    column("created_at", _TIMESTAMP),
)
_refresh_0006 = table(
    "refresh_tokens",
    column("token_hash", String()),
    column("session_id", String()),
    column("issued_at", _TIMESTAMP),
    column("expires_at", _TIMESTAMP),
)
LOGGED_IN = dt.datetime(2030, 6, 1, 12, 0, 0, 123456, tzinfo=dt.UTC)


def _insert_session_with_token(async_url: str) -> None:
    async def write() -> None:
        engine = create_async_engine(async_url)
        try:
            async with engine.begin() as conn:
                at = {"created_at": LOGGED_IN}
                await conn.execute(insert(_sessions_0006), {"id": "s1", "user_id": 1, "scope": "items:read", **at})
                token = {"token_hash": "h" * 64, "session_id": "s1", "issued_at": LOGGED_IN, "expires_at": LOGGED_IN}
                await conn.execute(insert(_refresh_0006), token)
        finally:
            await engine.dispose()

    asyncio.run(write())


def _session_columns(async_url: str) -> tuple[dict[str, object], int]:
    """The one session's timestamps, read as the app reads them, and how many refresh tokens there are."""

    async def read() -> tuple[dict[str, object], int]:
        engine = create_async_engine(async_url)
        try:
            async with engine.connect() as conn:
                sessions = table("sessions", *(column(name, UTCDateTime()) for name in ("created_at", "expires_at")))

                def names(sync_conn: Connection) -> set[str]:
                    return {item["name"] for item in inspect(sync_conn).get_columns("sessions")}

                columns = await conn.run_sync(names)
                wanted = [sessions.c[name] for name in ("created_at", "expires_at") if name in columns]
                row = (await conn.execute(select(*wanted))).one()._asdict()
                tokens = (await conn.execute(text("SELECT count(*) FROM refresh_tokens"))).scalar_one()
        finally:
            await engine.dispose()
        return row, int(tokens)

    return asyncio.run(read())


def test_0007_gives_existing_sessions_30_days_from_their_login_and_keeps_their_tokens(fresh_database_url: str) -> None:
    config = alembic_config(fresh_database_url)
    command.upgrade(config, "0006")
    _insert_users(fresh_database_url, [["items:read"]])
    _insert_session_with_token(fresh_database_url)
    before = _index_names(fresh_database_url, ("sessions",))
    command.upgrade(config, "0007")
    # To the microsecond, and as a timestamp the app reads back (SQLite: the text format SQLAlchemy parses).
    assert _session_columns(fresh_database_url) == (
        {"created_at": LOGGED_IN, "expires_at": LOGGED_IN + dt.timedelta(days=30)},
        1,  # SQLite rebuilt the table: the refresh token is still there (no cascade on the way)
    )
    assert _index_names(fresh_database_url, ("sessions",)) == before | {"ix_sessions_expires_at"}
    command.downgrade(config, "0006")
    assert _session_columns(fresh_database_url) == ({"created_at": LOGGED_IN}, 1)
    assert _index_names(fresh_database_url, ("sessions",)) == before
    command.upgrade(config, "head")
    command.check(config)
