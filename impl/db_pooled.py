"""PostgreSQL (or any async driver) through SQLAlchemy's async engine and a pool.

A module of its own so that an SQLite deployment never imports SQLAlchemy's asyncio layer (~5 MB of RSS).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

import orjson
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.sql.base import Executable

from impl.compiled import Query
from impl.db import DbConnection, json_dumps, one_per_task


class _PooledConnection:
    """An asyncpg connection from the pool; `Query`s go through SQLAlchemy (asyncpg has no DBAPI cursor to reuse)."""

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def execute(self, statement: Executable, parameters: Mapping[str, Any] | None = None) -> CursorResult[Any]:
        return await self._conn.execute(statement, parameters)

    async def fetch(self, query: Query, parameters: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        return [tuple(row) for row in (await self._conn.execute(query.statement, parameters)).all()]

    async def commit(self) -> None:
        await self._conn.commit()

    async def rollback(self) -> None:
        await self._conn.rollback()


class AsyncEngineDatabase:
    """A pooled async engine (PostgreSQL through asyncpg)."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.engine: AsyncEngine = create_async_engine(
            url,
            echo=echo,
            pool_size=10,
            max_overflow=10,
            pool_pre_ping=True,
            json_serializer=json_dumps,
            json_deserializer=orjson.loads,
        )

    @asynccontextmanager
    async def connect(self) -> AsyncIterator[DbConnection]:
        async with one_per_task(), self.engine.connect() as conn:
            yield _PooledConnection(conn)

    async def dispose(self) -> None:
        await self.engine.dispose()
