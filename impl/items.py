"""Items stored with SQLAlchemy Core: lean statements on the hot path, one round-trip per read."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from typing import cast

from sqlalchemy import Row, Table, delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from generated import models
from generated.runtime import RequestContext
from impl.etags import if_match_allows, make_etag
from impl.problems import Conflict, NotFound, PreconditionFailed, Unauthorized
from impl.tables import IdempotencyKeyRow, ItemRow

_items = cast(Table, ItemRow.__table__)
_keys = cast(Table, IdempotencyKeyRow.__table__)
_ANONYMOUS = ""


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _to_item(row: Row[tuple[object, ...]] | Mapping[str, object]) -> models.Item:
    mapping = row._mapping if isinstance(row, Row) else row
    return models.Item.model_validate(dict(mapping))


def _writable_fields(body: models.ItemCreate | models.ItemPatch) -> dict[str, object]:
    """The body's fields as column values; absent fields are left out (MISSING never reaches SQL)."""
    return body.model_dump(mode="json", exclude_unset=isinstance(body, models.ItemPatch))


def _replacement(body: models.ItemCreate) -> dict[str, object]:
    """Every writable column: a PUT resets what the body leaves out."""
    return {"description": None, "tax": None, **_writable_fields(body)}


class SqlItemsService:
    """The items API over one request-scoped connection (SQLite or PostgreSQL)."""

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def list_items(
        self, ctx: RequestContext, *, skip: int, limit: int, q: str | None, mine: bool
    ) -> list[models.Item]:
        """A page of items in id order, optionally filtered by name or by owner."""
        stmt = select(_items).order_by(_items.c.id).offset(skip).limit(limit)
        if q is not None:
            stmt = stmt.where(_items.c.name.icontains(q, autoescape=True))
        if mine:
            if ctx.principal is None:
                raise Unauthorized("mine=true needs an authenticated caller")
            stmt = stmt.where(_items.c.owner_id == int(ctx.principal.subject))
        rows = (await self._conn.execute(stmt)).all()
        return [_to_item(row) for row in rows]

    async def create_item(
        self, ctx: RequestContext, *, idempotency_key: str | None, body: models.ItemCreate
    ) -> models.Item:
        """Insert an item; with an idempotency key, a retry replays the first response."""
        principal = ctx.principal.subject if ctx.principal is not None else _ANONYMOUS
        request_hash = hashlib.sha256(body.model_dump_json().encode()).hexdigest()
        if idempotency_key is not None:
            replay = await self._replay(principal, idempotency_key, request_hash)
            if replay is not None:
                return self._with_etag(ctx, replay)
        now = _now()
        values = {**_replacement(body), "owner_id": None, "version": 1, "created_at": now, "updated_at": now}
        if ctx.principal is not None:
            values["owner_id"] = int(ctx.principal.subject)
        row = (await self._conn.execute(insert(_items).values(values).returning(*_items.c))).one()
        item = _to_item(row)
        if idempotency_key is not None:
            try:
                await self._conn.execute(
                    insert(_keys).values(
                        principal=principal,
                        key=idempotency_key,
                        request_hash=request_hash,
                        response=item.model_dump(mode="json"),
                        created_at=now,
                    )
                )
            except IntegrityError:
                # A concurrent request with the same key won the race: undo ours and answer with theirs.
                await self._conn.rollback()
                replay = await self._replay(principal, idempotency_key, request_hash)
                if replay is None:
                    raise
                return self._with_etag(ctx, replay)
        await self._conn.commit()
        return self._with_etag(ctx, item, version=row.version)

    async def get_item(self, ctx: RequestContext, *, item_id: int) -> models.Item:
        """One item with its ETag; 404 problem when absent."""
        row = (await self._conn.execute(select(_items).where(_items.c.id == item_id))).one_or_none()
        if row is None:
            raise NotFound(f"item {item_id} does not exist")
        return self._with_etag(ctx, _to_item(row), version=row.version)

    async def replace_item(
        self, ctx: RequestContext, *, item_id: int, if_match: str | None, body: models.ItemCreate
    ) -> models.Item:
        """Overwrite every field of an item."""
        return await self._update(ctx, item_id, if_match, _replacement(body))

    async def update_item(
        self, ctx: RequestContext, *, item_id: int, if_match: str | None, body: models.ItemPatch
    ) -> models.Item:
        """Change only the fields present in the body."""
        return await self._update(ctx, item_id, if_match, _writable_fields(body))

    async def delete_item(self, ctx: RequestContext, *, item_id: int, if_match: str | None) -> None:
        """Remove an item; 412 when `If-Match` names another version."""
        version = await self._checked_version(item_id, if_match)
        result = await self._conn.execute(delete(_items).where(_items.c.id == item_id, _items.c.version == version))
        if result.rowcount != 1:
            raise PreconditionFailed(f"item {item_id} changed while it was being deleted")
        await self._conn.commit()

    async def _update(
        self, ctx: RequestContext, item_id: int, if_match: str | None, values: dict[str, object]
    ) -> models.Item:
        version = await self._checked_version(item_id, if_match)
        # Compare-and-set on the version: a concurrent writer makes this a 412, never a lost update.
        stmt = (
            update(_items)
            .where(_items.c.id == item_id, _items.c.version == version)
            .values(**values, version=version + 1, updated_at=_now())
            .returning(*_items.c)
        )
        row = (await self._conn.execute(stmt)).one_or_none()
        if row is None:
            raise PreconditionFailed(f"item {item_id} changed while it was being updated")
        await self._conn.commit()
        return self._with_etag(ctx, _to_item(row), version=row.version)

    async def _checked_version(self, item_id: int, if_match: str | None) -> int:
        stmt = select(_items.c.version).where(_items.c.id == item_id)
        version: int | None = (await self._conn.execute(stmt)).scalar_one_or_none()
        if version is None:
            raise NotFound(f"item {item_id} does not exist")
        if not if_match_allows(if_match, make_etag(item_id, version)):
            raise PreconditionFailed(f"If-Match does not match the current ETag of item {item_id}")
        return version

    async def _replay(self, principal: str, key: str, request_hash: str) -> models.Item | None:
        stmt = select(_keys.c.request_hash, _keys.c.response).where(_keys.c.principal == principal, _keys.c.key == key)
        row = (await self._conn.execute(stmt)).one_or_none()
        if row is None:
            return None
        if row.request_hash != request_hash:
            raise Conflict("this Idempotency-Key was already used with a different request body")
        return models.Item.model_validate(row.response)

    @staticmethod
    def _with_etag(ctx: RequestContext, item: models.Item, *, version: int | None = None) -> models.Item:
        if version is not None:
            ctx.headers["ETag"] = make_etag(item.id, version)
        return item
