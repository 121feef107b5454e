"""Compiled-once queries answer exactly what a Core execute answers, on both backends, inside the same transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import DateTime, bindparam, insert, select
from sqlalchemy.dialects import sqlite
from sqlalchemy.exc import IntegrityError

from impl.compiled import Query
from impl.db import Database, open_database
from impl.settings import Settings
from impl.tables import UTCDateTime
from impl.tables import items_table as _items

_INSERT = Query(insert(_items).returning(*_items.c), columns=[c.name for c in _items.c if c.name != "id"])
_GET = Query(select(_items).where(_items.c.id == bindparam("item_id")))
_NOW = dt.datetime(2026, 11, 26, 7, 30, 15, 123456, tzinfo=dt.UTC)
_ROW = {
    "name": "Naïve ✓",
    "description": None,
    "price": 35.4,
    "tax": None,
    "tags": ["a", "b"],
    "images": [{"url": "https://example.com/x.png", "name": "x"}],
    "owner_id": None,
    "version": 1,
    "created_at": _NOW,
    "updated_at": _NOW,
}


@pytest.fixture
async def database(settings: Settings) -> AsyncIterator[Database]:
    db = open_database(settings.database_url)
    yield db
    async with db.connect() as conn:
        await conn.execute(_items.delete())
        await conn.commit()
    await db.dispose()


async def test_fetch_round_trips_the_same_values_as_a_core_execute(database: Database) -> None:
    async with database.connect() as conn:
        (inserted,) = await conn.fetch(_INSERT, _ROW)
        await conn.commit()
    async with database.connect() as conn:
        (fetched,) = await conn.fetch(_GET, {"item_id": inserted["id"]})
        core = (await conn.execute(_GET.statement, {"item_id": inserted["id"]})).one()
    assert fetched == dict(core._mapping) == inserted
    assert list(fetched) == [c.name for c in _items.c]
    values = fetched
    assert values["created_at"] == _NOW and values["created_at"].tzinfo is not None
    assert values["tags"] == ["a", "b"] and values["images"][0]["name"] == "x" and values["name"] == "Naïve ✓"


async def test_a_write_through_fetch_is_rolled_back_unless_committed(database: Database) -> None:
    async with database.connect() as conn:
        (inserted,) = await conn.fetch(_INSERT, _ROW)
    async with database.connect() as conn:
        assert await conn.fetch(_GET, {"item_id": inserted["id"]}) == []


async def test_rollback_undoes_a_write_through_fetch(database: Database) -> None:
    async with database.connect() as conn:
        (inserted,) = await conn.fetch(_INSERT, _ROW)
        await conn.rollback()
        assert await conn.fetch(_GET, {"item_id": inserted["id"]}) == []
        await conn.commit()  # nothing left to commit
    async with database.connect() as conn:
        assert await conn.fetch(_GET, {"item_id": inserted["id"]}) == []


@pytest.mark.parametrize("core_first", [False, True], ids=["fetch-then-core", "core-then-fetch"])
@pytest.mark.parametrize("commit", [True, False], ids=["committed", "rolled-back"])
async def test_fetch_and_core_writes_share_one_transaction(database: Database, core_first: bool, commit: bool) -> None:
    """On SQLite a `fetch` write runs on the driver, beside SQLAlchemy's transaction: one commit or rollback ends
    both writes, in either order."""
    async with database.connect() as conn:
        if core_first:
            await conn.execute(insert(_items), {**_ROW, "name": "core"})
        (fetched,) = await conn.fetch(_INSERT, _ROW)
        if not core_first:
            await conn.execute(insert(_items), {**_ROW, "name": "core"})
        await (conn.commit() if commit else conn.rollback())
    async with database.connect() as conn:
        names = sorted(row.name for row in (await conn.execute(select(_items.c.name))).all())
    assert names == (["Naïve ✓", "core"] if commit else [])
    assert fetched["name"] == "Naïve ✓"


async def test_a_constraint_violation_raises_sqlalchemys_integrity_error(database: Database) -> None:
    async with database.connect() as conn:
        with pytest.raises(IntegrityError):
            await conn.fetch(_INSERT, {**_ROW, "owner_id": 2**62})  # no such user: foreign key


@given(st.datetimes(timezones=st.timezones()))
def test_sqlite_stores_utc_datetimes_as_sqlalchemys_own_datetime_text(value: dt.datetime) -> None:
    """UTCDateTime's fast SQLite bind writes exactly what SQLAlchemy's DATETIME writes for the same UTC instant, so
    rows written before and after it compare and sort alike in SQL (`expires_at < :cutoff`), and reads it back."""
    dialect = sqlite.dialect()
    ours = UTCDateTime().dialect_impl(dialect).bind_processor(dialect)
    sqlalchemys = DateTime().dialect_impl(dialect).bind_processor(dialect)
    assert ours is not None and sqlalchemys is not None
    try:
        utc = value.astimezone(dt.UTC)
    except OverflowError:  # an offset that takes the instant out of datetime's range
        return
    text = ours(value)
    assert text == sqlalchemys(utc.replace(tzinfo=None))
    back = UTCDateTime().dialect_impl(dialect).result_processor(dialect, None)
    assert back is not None and back(text) == utc


def test_sqlite_refuses_a_naive_datetime() -> None:
    dialect = sqlite.dialect()
    bind = UTCDateTime().dialect_impl(dialect).bind_processor(dialect)
    assert bind is not None
    with pytest.raises(ValueError, match="naive"):
        bind(dt.datetime(2026, 1, 1))
