"""SqlItemsService called directly (no HTTP): conditional writes, idempotency and search on inline SQLite."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Literal

import orjson
import pytest
from sqlalchemy import insert

from generated import models
from generated.routers.items import OP_CREATE_ITEM, OP_UPDATE_ITEM
from generated.runtime import Principal, RequestContext
from impl.db import InlineSqliteDatabase
from impl.events import InProcessBroker, item_event
from impl.items import SqlItemsService, _contains_pattern
from impl.problems import Conflict, Forbidden, PreconditionFailed
from impl.tables import items_table, users_table
from tests.databases import migrate


@pytest.fixture
def database_file(tmp_path: Path) -> str:
    """A migrated SQLite file (a sync fixture: Alembic runs its own event loop)."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'unit.db'}"
    migrate(url)
    return url


@pytest.fixture
async def database(database_file: str) -> AsyncIterator[InlineSqliteDatabase]:
    db = InlineSqliteDatabase(database_file)
    yield db
    await db.dispose()


@pytest.fixture
async def owner(database: InlineSqliteDatabase) -> Principal:
    """A user row to own items (services take the principal from the request context)."""
    now = dt.datetime.now(dt.UTC)
    values = {"email": "o@example.com", "email_key": "o@example.com", "password_hash": "x", "scopes": []}
    async with database.connect() as conn:
        result = await conn.execute(
            insert(users_table).returning(users_table.c.id),
            {**values, "is_active": True, "created_at": now, "updated_at": now},
        )
        user_id = result.scalar_one()
        await conn.commit()
    return Principal(subject=str(user_id), scopes=frozenset({"items:read", "items:write"}))


def _new(name: str = "Foo", price: float = 1.0) -> models.ItemCreate:
    return models.ItemCreate(name=name, price=price)


async def test_create_then_get_round_trips_and_sets_etag(database: InlineSqliteDatabase) -> None:
    ctx = RequestContext(operation=OP_CREATE_ITEM)
    service = SqlItemsService(database)
    created = await service.create_item(ctx, idempotency_key=None, body=_new())
    assert ctx.headers["ETag"] == f'"{created.id}.1"'
    fetched = await service.get_item(RequestContext(operation=OP_CREATE_ITEM), item_id=created.id)
    assert fetched == created


async def test_update_with_stale_if_match_raises_precondition_failed(
    database: InlineSqliteDatabase, owner: Principal
) -> None:
    service = SqlItemsService(database)
    ctx = RequestContext(operation=OP_UPDATE_ITEM, principal=owner)
    item = await service.create_item(ctx, idempotency_key=None, body=_new())
    patch = models.ItemPatch(price=2.0)
    await service.update_item(ctx, item_id=item.id, if_match=None, body=patch)
    with pytest.raises(PreconditionFailed):
        await service.update_item(ctx, item_id=item.id, if_match=f'"{item.id}.1"', body=patch)


async def test_update_by_someone_else_is_forbidden_and_changes_nothing(
    database: InlineSqliteDatabase, owner: Principal
) -> None:
    stranger = Principal(subject=str(int(owner.subject) + 1), scopes=owner.scopes)
    service = SqlItemsService(database)
    item = await service.create_item(
        RequestContext(operation=OP_CREATE_ITEM, principal=owner), idempotency_key=None, body=_new()
    )
    with pytest.raises(Forbidden):
        await service.update_item(
            RequestContext(operation=OP_UPDATE_ITEM, principal=stranger),
            item_id=item.id,
            if_match=None,
            body=models.ItemPatch(price=9.0),
        )
    assert await service.get_item(RequestContext(operation=OP_UPDATE_ITEM), item_id=item.id) == item


async def test_work_left_uncommitted_is_rolled_back_when_the_connection_is_returned(
    database: InlineSqliteDatabase,
) -> None:
    row = {"name": "ghost", "price": 1.0, "tags": [], "images": [], "version": 1}
    now = {"created_at": dt.datetime.now(dt.UTC), "updated_at": dt.datetime.now(dt.UTC)}
    async with database.connect() as conn:
        await conn.execute(insert(items_table), {**row, **now})
    listed = await SqlItemsService(database).list_items(
        RequestContext(operation=OP_CREATE_ITEM), skip=0, limit=10, q=None, mine=False
    )
    assert listed == []


async def test_idempotency_key_with_other_body_conflicts(database: InlineSqliteDatabase) -> None:
    service = SqlItemsService(database)
    ctx = RequestContext(operation=OP_CREATE_ITEM)
    await service.create_item(ctx, idempotency_key="k", body=_new())
    with pytest.raises(Conflict):
        await service.create_item(ctx, idempotency_key="k", body=_new(price=2.0))


@pytest.mark.parametrize(("text", "pattern"), [("a", "%a%"), ("50%", "%50/%%"), ("a_b", "%a/_b%"), ("x/y", "%x//y%")])
def test_contains_pattern_escapes_like_wildcards(text: str, pattern: str) -> None:
    assert _contains_pattern(text) == pattern


async def test_events_are_encoded_only_when_someone_can_receive_them(
    database: InlineSqliteDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A write with no subscriber anywhere skips the event's encoding; with one, the subscriber gets the event."""
    broker = InProcessBroker(queue_size=4)
    service = SqlItemsService(database, broker)
    encoded: list[str] = []

    def counting_item_event(kind: Literal["created", "updated"], item: models.Item) -> str:
        encoded.append(kind)
        return item_event(kind, item)

    monkeypatch.setattr("impl.items.item_event", counting_item_event)
    assert not broker.has_audience
    await service.create_item(RequestContext(operation=OP_CREATE_ITEM), idempotency_key=None, body=_new("quiet"))
    assert encoded == []
    async with broker.subscribe() as subscription:
        assert broker.has_audience
        created = await service.create_item(
            RequestContext(operation=OP_CREATE_ITEM), idempotency_key=None, body=_new("heard")
        )
        assert encoded == ["created"]
        assert orjson.loads(await subscription.next()) == {"event": "created", "item": created.model_dump(mode="json")}
    assert not broker.has_audience
