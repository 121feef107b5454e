"""Ceiling app: raw Starlette + stdlib sqlite3 + orjson serving the items endpoints with the app's JSON shapes."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

_SCHEMA = """
CREATE TABLE IF NOT EXISTS items (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    description TEXT,
    price REAL NOT NULL,
    tax REAL,
    tags TEXT NOT NULL,
    images TEXT NOT NULL,
    owner_id INTEGER,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
)
"""
_COLUMNS = "id, name, description, price, tax, tags, images, owner_id, created_at, updated_at"
_MAX_LIMIT = 100
Row = tuple[int, str, str | None, float, float | None, str, str, int | None, str, str]


class ValidationError(Exception):
    """A request body or query parameter that does not match the contract."""


def _validate(body: object) -> dict[str, Any]:
    """Check an ItemCreate body as the contract states and return it with defaults filled in."""
    if not isinstance(body, dict):
        raise ValidationError("body must be an object")
    name = body.get("name")
    if not isinstance(name, str) or not 1 <= len(name) <= 100:
        raise ValidationError("name: string of 1..100 characters")
    description = body.get("description")
    if description is not None and (not isinstance(description, str) or len(description) > 300):
        raise ValidationError("description: string of at most 300 characters or null")
    price = body.get("price")
    if not isinstance(price, int | float) or isinstance(price, bool) or price <= 0:
        raise ValidationError("price: number > 0")
    tax = body.get("tax")
    if tax is not None and (not isinstance(tax, int | float) or isinstance(tax, bool) or tax < 0):
        raise ValidationError("tax: number >= 0 or null")
    tags = body.get("tags", [])
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise ValidationError("tags: list of strings")
    images = body.get("images", [])
    if not isinstance(images, list) or not all(
        isinstance(i, dict) and isinstance(i.get("url"), str) and isinstance(i.get("name"), str) for i in images
    ):
        raise ValidationError("images: list of {url, name}")
    return {
        "name": name,
        "description": description,
        "price": float(price),
        "tax": None if tax is None else float(tax),
        "tags": tags,
        "images": [{"url": i["url"], "name": i["name"]} for i in images],
    }


def _to_item(row: Row) -> dict[str, Any]:
    """Turn a row into the Item JSON object."""
    return {
        "id": row[0],
        "name": row[1],
        "description": row[2],
        "price": row[3],
        "tax": row[4],
        "tags": orjson.loads(row[5]),
        "images": orjson.loads(row[6]),
        "owner_id": row[7],
        "created_at": row[8],
        "updated_at": row[9],
    }


class Store:
    """One sqlite3 connection in WAL mode, used from the event loop thread only."""

    def __init__(self, path: str) -> None:
        """Open the database and create the items table."""
        self.conn = sqlite3.connect(path, isolation_level=None)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=NORMAL")
        self.conn.execute(_SCHEMA)

    def create(self, data: dict[str, Any]) -> dict[str, Any]:
        """Insert an item and return it."""
        now = datetime.now(UTC).isoformat()
        cur = self.conn.execute(
            "INSERT INTO items (name, description, price, tax, tags, images, owner_id, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, NULL, ?, ?)",
            (
                data["name"],
                data["description"],
                data["price"],
                data["tax"],
                orjson.dumps(data["tags"]).decode(),
                orjson.dumps(data["images"]).decode(),
                now,
                now,
            ),
        )
        return {"id": cur.lastrowid, **data, "owner_id": None, "created_at": now, "updated_at": now}

    def get(self, item_id: int) -> dict[str, Any] | None:
        """Return one item or None."""
        row = self.conn.execute(f"SELECT {_COLUMNS} FROM items WHERE id = ?", (item_id,)).fetchone()
        return None if row is None else _to_item(row)

    def list(self, skip: int, limit: int) -> list[dict[str, Any]]:
        """Return a page of items ordered by id."""
        rows = self.conn.execute(f"SELECT {_COLUMNS} FROM items ORDER BY id LIMIT ? OFFSET ?", (limit, skip))
        return [_to_item(row) for row in rows]

    def close(self) -> None:
        """Close the connection."""
        self.conn.close()


def _json(content: object, status_code: int = 200) -> Response:
    """Serialise with orjson."""
    return Response(orjson.dumps(content), status_code=status_code, media_type="application/json")


def _store(request: Request) -> Store:
    """Return the app's store."""
    store: Store = request.app.state.store
    return store


def _int_param(request: Request, name: str, default: int, low: int, high: int) -> int:
    """Read a bounded integer query parameter."""
    raw = request.query_params.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise ValidationError(f"{name}: integer") from exc
    if not low <= value <= high:
        raise ValidationError(f"{name}: {low}..{high}")
    return value


async def list_items(request: Request) -> Response:
    """GET /items?skip&limit."""
    try:
        skip = _int_param(request, "skip", 0, 0, 2**62)
        limit = _int_param(request, "limit", 20, 1, _MAX_LIMIT)
    except ValidationError as exc:
        return _json({"detail": str(exc)}, 422)
    return _json(_store(request).list(skip, limit))


async def create_item(request: Request) -> Response:
    """POST /items."""
    try:
        data = _validate(orjson.loads(await request.body()))
    except orjson.JSONDecodeError:
        return _json({"detail": "invalid JSON"}, 422)
    except ValidationError as exc:
        return _json({"detail": str(exc)}, 422)
    return _json(_store(request).create(data), 201)


async def get_item(request: Request) -> Response:
    """GET /items/{item_id}."""
    item = _store(request).get(request.path_params["item_id"])
    if item is None:
        return _json({"detail": "Item not found"}, 404)
    return _json(item)


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    """Open the store at startup, close it at shutdown."""
    app.state.store = Store(os.environ.get("CEILING_DB", "ceiling.db"))
    try:
        yield
    finally:
        app.state.store.close()


app = Starlette(
    routes=[
        Route("/items", list_items, methods=["GET"]),
        Route("/items", create_item, methods=["POST"]),
        Route("/items/{item_id:int}", get_item, methods=["GET"]),
    ],
    lifespan=lifespan,
)
