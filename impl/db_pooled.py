"""PostgreSQL (or any async driver) through SQLAlchemy's async engine and a pool.

A module of its own so that an SQLite deployment never imports SQLAlchemy's asyncio layer (~5 MB of RSS).
Every call is bounded (`DatabaseLimits`): checkout, connect and statement time; a failure of the database itself
becomes `DatabaseUnavailable`, and `pool_pre_ping` replaces connections a restarted server closed, so the
service recovers by itself once the server is back.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

import orjson
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import Pool
from sqlalchemy.sql.base import Executable

from impl.compiled import Query, Record
from impl.db import (
    CommitWatch,
    DatabaseLimits,
    DbConnection,
    PendingCallbacks,
    json_dumps,
    one_per_task,
    raise_if_unavailable,
)

logger = logging.getLogger(__name__)
# The client's own bound on a statement exceeds the server's statement_timeout by this much: the server's cancel
# is the normal path (a clean error, the connection stays usable); the client's catches a server that went silent.
CLIENT_TIMEOUT_GRACE_SECONDS = 1.0


class _PooledConnection:
    """An asyncpg connection from the pool; `Query`s go through SQLAlchemy (asyncpg has no DBAPI cursor to reuse)."""

    __slots__ = ("_conn", "_pending", "_retry_after")

    def __init__(self, conn: AsyncConnection, retry_after: int, commits: CommitWatch) -> None:
        self._conn = conn
        self._retry_after = retry_after
        self._pending = PendingCallbacks(commits)

    async def execute(self, statement: Executable, parameters: Mapping[str, Any] | None = None) -> CursorResult[Any]:
        try:
            result = await self._conn.execute(statement, parameters)
        except Exception as exc:
            raise_if_unavailable(exc, self._retry_after)
            raise
        self._pending.ran(statement)
        return result

    async def fetch(self, query: Query, parameters: Mapping[str, Any]) -> list[Record]:
        result = await self.execute(query.statement, parameters)
        return [dict(row._mapping) for row in result.all()]

    async def commit(self) -> None:
        try:
            await self._conn.commit()
        except Exception as exc:
            raise_if_unavailable(exc, self._retry_after)
            raise
        self._pending.committed()

    async def rollback(self) -> None:
        self._pending.rolled_back()
        try:
            await self._conn.rollback()
        except Exception as exc:
            raise_if_unavailable(exc, self._retry_after)
            raise


def _unique_statement_name() -> str:
    # Behind PgBouncer's transaction pooling two clients' `__asyncpg_stmt_1__` could meet on one server connection.
    return f"__asyncpg_{uuid.uuid4().hex}__"


def connect_args(limits: DatabaseLimits) -> dict[str, Any]:
    """asyncpg's connection arguments for `limits` (and SQLAlchemy's DBAPI-level ones for PgBouncer)."""
    args: dict[str, Any] = {
        "timeout": limits.connect_timeout_seconds,
        "command_timeout": limits.statement_timeout_seconds + CLIENT_TIMEOUT_GRACE_SECONDS,
    }
    if limits.pgbouncer:
        # Transaction pooling hands each transaction any server connection: a statement prepared in one transaction
        # is unknown (or another one) in the next. SQLAlchemy's asyncpg documentation: no caches, unique names.
        args |= {
            "statement_cache_size": 0,
            "prepared_statement_cache_size": 0,
            "prepared_statement_name_func": _unique_statement_name,
        }
    else:
        # A start-up parameter, so no round trip per connection; PgBouncer refuses unknown start-up parameters.
        args["server_settings"] = {"statement_timeout": str(round(limits.statement_timeout_seconds * 1000))}
    return args


class AsyncEngineDatabase:
    """A pooled async engine (PostgreSQL through asyncpg), bounded by `limits`."""

    def __init__(self, url: str, *, echo: bool = False, limits: DatabaseLimits | None = None) -> None:
        self.limits = limits = limits or DatabaseLimits.defaults()
        self.engine: AsyncEngine = create_async_engine(
            url,
            echo=echo,
            pool_size=limits.pool_size,
            max_overflow=limits.max_overflow,
            pool_timeout=limits.pool_timeout_seconds,
            # A connection the server closed (restart, failover) is found at checkout and replaced, not handed out.
            pool_pre_ping=True,
            connect_args=connect_args(limits),
            json_serializer=json_dumps,
            json_deserializer=orjson.loads,
        )
        self._commits = CommitWatch()

    @property
    def pool(self) -> Pool | None:
        return self.engine.sync_engine.pool

    @property
    def commits(self) -> CommitWatch:
        return self._commits

    @asynccontextmanager
    async def connect(self) -> AsyncIterator[DbConnection]:
        retry_after = self.limits.retry_after_seconds
        async with one_per_task():
            conn = self.engine.connect()
            try:
                await conn.start()
            except Exception as exc:
                raise_if_unavailable(exc, retry_after)
                raise
            try:
                yield _PooledConnection(conn, retry_after, self._commits)
            except BaseException:
                await _close_after_failure(conn)
                raise
            try:
                await conn.close()
            except Exception as exc:
                raise_if_unavailable(exc, retry_after)
                raise

    async def dispose(self) -> None:
        await self.engine.dispose()


async def _close_after_failure(conn: AsyncConnection) -> None:
    """Return a connection whose borrower failed: the borrower's error is the one reported, so a failing rollback
    (the server is gone; SQLAlchemy has invalidated the connection) is only logged."""
    try:
        await conn.close()
    except Exception as exc:
        logger.warning("could not roll back a failed borrower's connection: %s", type(exc).__name__)
