"""Compiled-once queries answer exactly what a Core execute answers, on both backends, inside the same transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import bindparam, insert, select
from sqlalchemy.exc import IntegrityError

from impl.compiled import Query
from impl.db import Database, open_database
from impl.settings import Settings
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
        (fetched,) = await conn.fetch(_GET, {"item_id": inserted[0]})
        core = (await conn.execute(_GET.statement, {"item_id": inserted[0]})).one()
    assert fetched == tuple(core) == inserted
    values = dict(zip([c.name for c in _items.c], fetched, strict=True))
    assert values["created_at"] == _NOW and values["created_at"].tzinfo is not None
    assert values["tags"] == ["a", "b"] and values["images"][0]["name"] == "x" and values["name"] == "Naïve ✓"


async def test_a_write_through_fetch_is_rolled_back_unless_committed(database: Database) -> None:
    async with database.connect() as conn:
        (inserted,) = await conn.fetch(_INSERT, _ROW)
    async with database.connect() as conn:
        assert await conn.fetch(_GET, {"item_id": inserted[0]}) == []


async def test_a_constraint_violation_raises_sqlalchemys_integrity_error(database: Database) -> None:
    async with database.connect() as conn:
        with pytest.raises(IntegrityError):
            await conn.fetch(_INSERT, {**_ROW, "owner_id": 2**62})  # no such user: foreign key
