"""The process's database: one engine that lends connections, at most one at a time to any task.

SQLite runs on the event-loop thread through the stdlib driver: a local SQLite statement takes microseconds,
far less than the thread hop aiosqlite pays for every call, and one connection guarded by an asyncio lock
gives the same serialisation SQLite imposes on writers anyway. PostgreSQL uses asyncpg through SQLAlchemy's
async engine and a pool.

One connection model for everything (services, the authenticator): a task borrows a connection for a short
block and returns it. Borrowing a second one while holding one raises `NestedConnectionError` at once, on
every backend: on SQLite it would wait for itself forever, on PostgreSQL it deadlocks once the pool is drained.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from contextvars import ContextVar, Token
from typing import Any, Protocol

import orjson
from sqlalchemy import Engine, event, text
from sqlalchemy import create_engine as create_sync_engine
from sqlalchemy.engine import Connection, CursorResult, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import StaticPool
from sqlalchemy.sql.base import Executable

from impl.compiled import Query, run_on_cursor

# The task holding a connection in this context (None: none held).
_holder: ContextVar[asyncio.Task[object] | None] = ContextVar("db_connection_holder", default=None)


class NestedConnectionError(RuntimeError):
    """A task asked for a connection while it already holds one: a bug to fix, never a wait."""


def _claim() -> Token[asyncio.Task[object] | None]:
    """Mark the current task as holding a connection; NestedConnectionError if it already holds one."""
    task = asyncio.current_task()
    if task is not None and _holder.get() is task:
        raise NestedConnectionError("this task already holds a database connection; pass that one down instead")
    return _holder.set(task)


@asynccontextmanager
async def one_per_task() -> AsyncIterator[None]:
    """Hold the current task's one connection slot for the block (NestedConnectionError if taken)."""
    token = _claim()
    try:
        yield
    finally:
        _holder.reset(token)


class DbConnection(Protocol):
    """What services need from a connection: Core statements, and hot `Query`s compiled once."""

    async def execute(
        self, statement: Executable, parameters: Mapping[str, Any] | None = None
    ) -> CursorResult[Any]: ...

    async def fetch(self, query: Query, parameters: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        """The rows of `query` as tuples of processed values (raw DBAPI cursor where the backend allows)."""
        ...

    async def commit(self) -> None: ...

    async def rollback(self) -> None: ...


class Database(Protocol):
    """An engine that lends connections; closing one rolls back whatever was not committed."""

    def connect(self) -> AbstractAsyncContextManager[DbConnection]: ...

    async def dispose(self) -> None: ...


class _InlineConnection:
    """A sync SQLAlchemy connection behind the async `DbConnection` interface."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def execute(self, statement: Executable, parameters: Mapping[str, Any] | None = None) -> CursorResult[Any]:
        return self._conn.execute(statement, parameters)

    async def fetch(self, query: Query, parameters: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        conn = self._conn
        if query.writes and not conn.in_transaction():
            conn.begin()  # so that commit() and rollback() reach the sqlite3 connection the cursor writes through
        dialect = conn.dialect
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]  # always set while open
        try:
            return run_on_cursor(query.plan(dialect), cursor, parameters)
        except dialect.loaded_dbapi.Error as exc:
            # The same exception types as a Core execute: callers catch SQLAlchemy's IntegrityError and friends.
            raise DBAPIError.instance(
                query.plan(dialect).sql, dict(parameters), exc, dialect.loaded_dbapi.Error
            ) from exc
        finally:
            cursor.close()

    async def commit(self) -> None:
        self._conn.commit()

    async def rollback(self) -> None:
        self._conn.rollback()


def json_dumps(value: object) -> str:
    # orjson: JSON columns are decoded on every row read; the stdlib codec dominated the list profile.
    return orjson.dumps(value).decode()


def _set_sqlite_pragmas(dbapi_connection: Any, _record: object) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers (other processes, the migration tool) proceed during a write; NORMAL is durable in WAL.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=2000")
    cursor.close()


class InlineSqliteDatabase:
    """One SQLite connection driven on the event-loop thread, lent to one request at a time."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        sync_url = make_url(url).set(drivername="sqlite+pysqlite")
        self.engine: Engine = create_sync_engine(
            sync_url,
            echo=echo,
            poolclass=StaticPool,
            connect_args={"check_same_thread": False},
            json_serializer=json_dumps,
            json_deserializer=orjson.loads,
        )
        event.listen(self.engine, "connect", _set_sqlite_pragmas)
        # An asyncio lock, not the pool, makes a second request wait: waiting must never block the loop.
        self._lock = asyncio.Lock()
        self._conn: Connection | None = None

    def connect(self) -> AbstractAsyncContextManager[DbConnection]:
        return _InlineLease(self)

    def _connection(self) -> Connection:
        # The connection outlives requests: checking one out per request costs more than the query.
        if self._conn is None or self._conn.closed or self._conn.invalidated:
            self._conn = self.engine.connect()
        return self._conn

    async def dispose(self) -> None:
        async with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
        self.engine.dispose()


class _InlineLease:
    """One borrowing of the SQLite connection (a class, not a generator: this runs twice per request)."""

    __slots__ = ("_conn", "_database", "_token")

    def __init__(self, database: InlineSqliteDatabase) -> None:
        self._database = database

    async def __aenter__(self) -> DbConnection:
        self._token = _claim()
        try:
            await self._database._lock.acquire()
        except BaseException:
            _holder.reset(self._token)
            raise
        try:
            self._conn = self._database._connection()
        except BaseException:
            self._release()
            raise
        return _InlineConnection(self._conn)

    async def __aexit__(self, *exc_info: object) -> None:
        try:
            if self._conn.in_transaction():
                self._conn.rollback()  # whatever the borrower did not commit
        finally:
            self._release()

    def _release(self) -> None:
        self._database._lock.release()
        _holder.reset(self._token)


async def ping(database: Database) -> None:
    """Round-trip a trivial query; raises what the driver raises when the database does not answer."""
    async with database.connect() as conn:
        await conn.execute(text("SELECT 1"))


def open_database(database_url: str, *, echo: bool = False) -> Database:
    """The database for `database_url`: inline SQLite or a pooled async engine."""
    if make_url(database_url).get_backend_name() == "sqlite":
        return InlineSqliteDatabase(database_url, echo=echo)
    # Imported only when needed: SQLAlchemy's asyncio layer and greenlet cost ~5 MB of RSS.
    from impl.db_pooled import AsyncEngineDatabase

    return AsyncEngineDatabase(database_url, echo=echo)
