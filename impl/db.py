"""The process's database: one engine that lends connections, at most one at a time to any task.

SQLite runs on the event-loop thread through the stdlib driver: a local SQLite statement takes microseconds,
far less than the thread hop aiosqlite pays for every call, and one connection guarded by an asyncio lock
gives the same serialisation SQLite imposes on writers anyway. PostgreSQL uses asyncpg through SQLAlchemy's
async engine and a pool.

One connection model for everything (services, the authenticator): a task borrows a connection for a short
block and returns it. Borrowing a second one while holding one raises `NestedConnectionError` at once, on
every backend: on SQLite it would wait for itself forever, on PostgreSQL it deadlocks once the pool is drained.

A database that cannot serve (down, unreachable, too slow, locked, read-only, out of connections) surfaces as one
`DatabaseUnavailable` (503 + Retry-After) from every connection call; integrity errors and bugs stay what they are.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from contextvars import ContextVar, Token
from dataclasses import dataclass
from typing import Any, NoReturn, Protocol

import orjson
from sqlalchemy import Engine, Table, event, text
from sqlalchemy import create_engine as create_sync_engine
from sqlalchemy.engine import Connection, CursorResult, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.pool import Pool, StaticPool
from sqlalchemy.sql.base import Executable
from sqlalchemy.sql.dml import Delete, Update

from impl.compiled import Query, Record, run_on_cursor
from impl.problems import DatabaseUnavailable
from impl.settings import Settings
from impl.sqlite_checkpoints import FALLBACK_PAGES, WalCheckpointer, writable

# The task holding a connection in this context (None: none held).
_holder: ContextVar[asyncio.Task[object] | None] = ContextVar("db_connection_holder", default=None)


@dataclass(frozen=True, slots=True)
class DatabaseLimits:
    """How long a database call may wait before the client gets a 503, and what Retry-After that 503 carries."""

    retry_after_seconds: int
    sqlite_busy_timeout_ms: int
    pool_size: int
    max_overflow: int
    pool_timeout_seconds: float
    connect_timeout_seconds: float
    statement_timeout_seconds: float
    pgbouncer: bool

    @classmethod
    def from_settings(cls, settings: Settings) -> DatabaseLimits:
        """The limits `settings` configure (DATABASE_* and SQLITE_BUSY_TIMEOUT_MS)."""
        return cls(
            retry_after_seconds=settings.database_retry_after_seconds,
            sqlite_busy_timeout_ms=settings.sqlite_busy_timeout_ms,
            pool_size=settings.database_pool_size,
            max_overflow=settings.database_max_overflow,
            pool_timeout_seconds=settings.database_pool_timeout_seconds,
            connect_timeout_seconds=settings.database_connect_timeout_seconds,
            statement_timeout_seconds=settings.database_statement_timeout_seconds,
            pgbouncer=settings.database_pgbouncer,
        )

    @classmethod
    def defaults(cls) -> DatabaseLimits:
        """The defaults of `impl.settings.Settings`, without reading the environment."""
        return cls.from_settings(Settings.model_construct())


# SQLSTATE classes that mean "the server cannot serve now", whatever the statement: 08 connection exception,
# 53 insufficient resources (too many connections, disk full), 57 operator intervention (shutdown, starting up,
# and 57014, the cancel of statement_timeout); 55P03, lock_timeout's lock_not_available; and the two a transaction
# is rolled back with so that it can be retried (PostgreSQL's advice): 40P01 deadlock, 40001 serialization failure.
_PG_UNAVAILABLE_CLASSES = ("08", "53", "57")
_PG_REASONS = {
    "57014": "a statement took longer than the statement timeout",
    "55P03": "a lock was not granted in time",
    "40P01": "the request collided with a concurrent one (deadlock) and was rolled back",
    "40001": "the request collided with a concurrent one and was rolled back",
}
# SQLite primary result codes with that meaning: another connection holds the lock (BUSY, LOCKED) past the busy
# timeout, or the file cannot be used (READONLY, IOERR, FULL, CANTOPEN, PROTOCOL). After the latter the connection
# is reopened: one opened read-only stays read-only after the file is fixed.
_SQLITE_BUSY = frozenset({5, 6})
_SQLITE_BROKEN = frozenset({8, 10, 13, 14, 15})


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """`exc`, then what it wraps (SQLAlchemy's `orig`, then each `__cause__`)."""
    current: BaseException | None = exc
    for _ in range(6):  # the driver's chain is short; never loop on a cycle
        if current is None:
            return
        yield current
        current = current.orig if isinstance(current, DBAPIError) and current.orig is not None else current.__cause__


def unavailability(exc: BaseException) -> str | None:
    """Why `exc` means the database cannot serve now, for the client; None when it is an answer or a bug."""
    for error in _causes(exc):
        if isinstance(error, PoolTimeout):
            return "no database connection became free in time"
        if isinstance(error, DBAPIError) and error.connection_invalidated:
            return "the connection to the database was lost"
        sqlstate = getattr(error, "sqlstate", None)
        if isinstance(sqlstate, str) and (sqlstate in _PG_REASONS or sqlstate.startswith(_PG_UNAVAILABLE_CLASSES)):
            return _PG_REASONS.get(sqlstate, "the database is not available")
        code = getattr(error, "sqlite_errorcode", None)
        if isinstance(code, int) and (code & 0xFF) in _SQLITE_BUSY:
            return "the database is locked by another writer"
        if isinstance(code, int) and (code & 0xFF) in _SQLITE_BROKEN:
            return "the database file cannot be used (read-only, full or unreadable)"
        if isinstance(error, TimeoutError):
            return "the database did not answer in time"
        if isinstance(error, OSError):
            return "the database is not reachable"
    return None


def raise_if_unavailable(exc: BaseException, retry_after: int) -> None:
    """Raise `DatabaseUnavailable` (from `exc`) when `exc` means the database cannot serve now; else return."""
    reason = unavailability(exc)
    if reason is not None:
        raise DatabaseUnavailable(f"{reason}; retry later", retry_after=retry_after) from exc


def _sqlite_broken(exc: BaseException) -> bool:
    """Whether the SQLite connection that raised `exc` must be reopened to recover."""
    for error in _causes(exc):
        code = getattr(error, "sqlite_errorcode", None)
        if isinstance(code, int) and (code & 0xFF) in _SQLITE_BROKEN:
            return True
    return False


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


class CommitWatch:
    """Callbacks run after each commit of this process that updated or deleted rows of the tables they watch: how
    the process learns that its own writes changed something it keeps a copy of (impl/security/account_cache.py).
    Core statements are matched by their target table, whichever service runs them (SQL text is not parsed: write
    watched tables with Core); inserts are not changes."""

    __slots__ = ("_watchers",)

    def __init__(self) -> None:
        self._watchers: dict[str, list[Callable[[], None]]] = {}

    def add(self, tables: Iterable[Table], callback: Callable[[], None]) -> None:
        """Call `callback` after every commit that updated or deleted rows of any of `tables`."""
        for table in tables:
            self._watchers.setdefault(table.name, []).append(callback)

    def callbacks(self, statement: object) -> list[Callable[[], None]]:
        """What to call once the transaction that ran `statement` commits (none for most statements)."""
        if not self._watchers or not isinstance(statement, Update | Delete):
            return []
        return self._watchers.get(getattr(statement.table, "name", ""), [])


class PendingCallbacks:
    """The watch callbacks a connection's open transaction has earned: run after its commit, dropped on rollback."""

    __slots__ = ("_due", "_watch")

    def __init__(self, watch: CommitWatch) -> None:
        self._watch = watch
        self._due: list[Callable[[], None]] = []

    def ran(self, statement: object) -> None:
        for callback in self._watch.callbacks(statement):
            if callback not in self._due:
                self._due.append(callback)

    def committed(self) -> None:
        due, self._due = self._due, []
        for callback in due:
            callback()

    def rolled_back(self) -> None:
        self._due = []


class DbConnection(Protocol):
    """What services need from a connection: Core statements, and hot `Query`s compiled once."""

    async def execute(
        self, statement: Executable, parameters: Mapping[str, Any] | None = None
    ) -> CursorResult[Any]: ...

    async def fetch(self, query: Query, parameters: Mapping[str, Any]) -> list[Record]:
        """The rows of `query` as dicts of processed values by column (raw DBAPI cursor where the backend allows)."""
        ...

    async def commit(self) -> None: ...

    async def rollback(self) -> None: ...


class Database(Protocol):
    """An engine that lends connections; closing one rolls back whatever was not committed."""

    @property
    def pool(self) -> Pool | None:
        """The pool connections are checked out of (for its gauge); None when there is none."""
        ...

    @property
    def commits(self) -> CommitWatch:
        """Who hears about committed changes to which tables."""
        ...

    def connect(self) -> AbstractAsyncContextManager[DbConnection]: ...

    async def dispose(self) -> None: ...


class _InlineConnection:
    """A sync SQLAlchemy connection behind the async `DbConnection` interface."""

    __slots__ = ("_conn", "_database", "_pending")

    def __init__(self, conn: Connection, database: InlineSqliteDatabase) -> None:
        self._conn = conn
        self._database = database
        self._pending = PendingCallbacks(database.commits)

    async def execute(self, statement: Executable, parameters: Mapping[str, Any] | None = None) -> CursorResult[Any]:
        try:
            result = self._conn.execute(statement, parameters)
        except Exception as exc:
            self._database._failed(exc)
        self._pending.ran(statement)
        return result

    async def fetch(self, query: Query, parameters: Mapping[str, Any]) -> list[Record]:
        conn = self._conn
        try:
            dialect = conn.dialect
            # A write here opens the sqlite3 module's own implicit transaction, which SQLAlchemy does not know of
            # (its begin/commit layers cost ~5 us of a ~90 us POST): commit() and rollback() end it on the driver.
            cursor = _driver(conn).cursor()
        except Exception as exc:
            self._database._failed(exc)
        try:
            records = run_on_cursor(query.plan(dialect), cursor, parameters)
        except dialect.loaded_dbapi.Error as exc:
            # The same exception types as a Core execute: callers catch SQLAlchemy's IntegrityError and friends.
            wrapped = DBAPIError.instance(query.plan(dialect).sql, dict(parameters), exc, dialect.loaded_dbapi.Error)
            self._database._failed(wrapped)
        finally:
            cursor.close()
        if query.writes:
            self._pending.ran(query.statement)
        return records

    async def commit(self) -> None:
        conn = self._conn
        try:
            if conn.in_transaction():
                conn.commit()  # a Core statement ran: SQLAlchemy's transaction, the driver's with it
            else:
                _driver(conn).commit()  # only `fetch` wrote (or nothing did: a no-op then)
        except Exception as exc:
            self._database._failed(exc)
        self._pending.committed()

    async def rollback(self) -> None:
        self._pending.rolled_back()
        try:
            _roll_back(self._conn)
        except Exception as exc:
            self._database._failed(exc)


def _driver(conn: Connection) -> Any:
    """The sqlite3 connection under a SQLAlchemy connection."""
    return conn.connection.driver_connection


def _roll_back(conn: Connection) -> None:
    """End whatever transaction is open on the connection: SQLAlchemy's, or the driver's own (from `fetch`)."""
    if conn.in_transaction():
        conn.rollback()
    else:
        driver = _driver(conn)
        if driver.in_transaction:
            driver.rollback()


def json_dumps(value: object) -> str:
    # orjson: JSON columns are decoded on every row read; the stdlib codec dominated the list profile.
    return orjson.dumps(value).decode()


def _sqlite_pragmas(busy_timeout_ms: int, *, checkpoints_elsewhere: bool) -> Callable[[Any, object], None]:
    """The `connect` listener that configures each new SQLite connection."""

    def set_pragmas(dbapi_connection: Any, _record: object) -> None:
        cursor = dbapi_connection.cursor()
        # Before the others: they may need the lock too. The wait blocks the event loop, hence a small bound.
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        # WAL lets readers (other processes, the migration tool) proceed during a write; NORMAL is durable in WAL.
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        if checkpoints_elsewhere:  # a WalCheckpointer thread does it; commits only as a fallback
            cursor.execute(f"PRAGMA wal_autocheckpoint={FALLBACK_PAGES}")
        cursor.close()
        # SQLite's own lower() folds ASCII only, so `ilike` (lower(x) LIKE lower(y) here) missed "École" for
        # "éCOLE", which PostgreSQL's ILIKE finds: Python's, as PostgreSQL's with a UTF-8 ctype, folds all of Unicode.
        dbapi_connection.create_function("lower", 1, _unicode_lower, deterministic=True)

    return set_pragmas


def _unicode_lower(value: object) -> object:
    """SQL `lower()` for every script; anything but text passes through, as SQLite's does with NULL."""
    return value.lower() if isinstance(value, str) else value


def _sqlite_file(url: str) -> str | None:
    """The file a SQLite URL names; None for an in-memory database (no WAL, nothing to checkpoint)."""
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return database


class InlineSqliteDatabase:
    """One SQLite connection driven on the event-loop thread, lent to one request at a time; a file database's WAL
    is checkpointed by a thread of its own (`impl/sqlite_checkpoints.py`), never inside a request's commit."""

    def __init__(self, url: str, *, echo: bool = False, limits: DatabaseLimits | None = None) -> None:
        self.limits = limits = limits or DatabaseLimits.defaults()
        sync_url = make_url(url).set(drivername="sqlite+pysqlite")
        self.engine: Engine = create_sync_engine(
            sync_url,
            echo=echo,
            poolclass=StaticPool,
            connect_args={"check_same_thread": False},
            json_serializer=json_dumps,
            json_deserializer=orjson.loads,
        )
        self._path = path = _sqlite_file(url)
        self._checkpointer = (
            WalCheckpointer(path, busy_timeout_ms=limits.sqlite_busy_timeout_ms) if path is not None else None
        )
        pragmas = _sqlite_pragmas(limits.sqlite_busy_timeout_ms, checkpoints_elsewhere=self._checkpointer is not None)
        event.listen(self.engine, "connect", pragmas)
        # An asyncio lock, not the pool, makes a second request wait: waiting must never block the loop.
        self._lock = asyncio.Lock()
        self._conn: Connection | None = None
        self._reopen = False
        self._opened_read_only = False
        self._commits = CommitWatch()

    @property
    def pool(self) -> Pool | None:
        return None  # one connection, kept open and lent under a lock: nothing is checked out of a pool

    @property
    def commits(self) -> CommitWatch:
        return self._commits

    def connect(self) -> AbstractAsyncContextManager[DbConnection]:
        return _InlineLease(self)

    def _connection(self) -> Connection:
        # The connection outlives requests: checking one out per request costs more than the query.
        if self._opened_read_only and self._writable():
            self._reopen = True  # the file was fixed: the read-only connection would refuse the next write
            self._recycle()
        if self._conn is None or self._conn.closed or self._conn.invalidated:
            # SQLite opens a file it may not write read-only; such a connection is replaced once the file is
            # writable again (checked per borrowing only until then).
            self._opened_read_only = not self._writable()
            try:
                self._conn = self.engine.connect()
            except Exception as exc:  # nothing to reopen: the next borrower tries to open it again
                raise_if_unavailable(exc, self.limits.retry_after_seconds)
                raise
            if self._checkpointer is not None:
                self._checkpointer.start()  # once the file is in WAL mode (the connect listener did that)
        return self._conn

    def _writable(self) -> bool:
        return self._path is None or writable(self._path)  # an in-memory database always is

    def _failed(self, exc: Exception) -> NoReturn:
        """Re-raise `exc`, as `DatabaseUnavailable` when the database cannot serve now (and mark a connection that
        cannot recover by itself to be reopened once the current borrower returns it)."""
        if _sqlite_broken(exc):
            self._reopen = True
        raise_if_unavailable(exc, self.limits.retry_after_seconds)
        raise exc

    def _recycle(self) -> None:
        """Drop the connection when it failed in a way only a new one recovers from (the next borrower opens one)."""
        if self._reopen:
            self._reopen = False
            if self._conn is not None:
                self._conn.invalidate()
                self._conn.close()
                self._conn = None

    @property
    def checkpointer(self) -> WalCheckpointer | None:
        """The thread that checkpoints the WAL (None for an in-memory database)."""
        return self._checkpointer

    async def dispose(self) -> None:
        async with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
        if self._checkpointer is not None:
            await asyncio.to_thread(self._checkpointer.stop)
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
        return _InlineConnection(self._conn, self._database)

    async def __aexit__(self, exc_type: type[BaseException] | None, *exc_info: object) -> None:
        try:
            _roll_back(self._conn)  # whatever the borrower did not commit
        except Exception as exc:
            self._database._reopen = True  # in an unknown state: the next borrower gets a new connection
            if exc_type is None:  # else the borrower's own error is the one to report
                self._database._failed(exc)
        finally:
            self._database._recycle()
            self._release()

    def _release(self) -> None:
        self._database._lock.release()
        _holder.reset(self._token)


async def ping(database: Database) -> None:
    """Round-trip a trivial query; raises what the driver raises when the database does not answer."""
    async with database.connect() as conn:
        await conn.execute(text("SELECT 1"))


def open_database(database_url: str, *, echo: bool = False, limits: DatabaseLimits | None = None) -> Database:
    """The database for `database_url`: inline SQLite or a pooled async engine, within `limits` (default: the
    settings' defaults)."""
    limits = limits or DatabaseLimits.defaults()
    if make_url(database_url).get_backend_name() == "sqlite":
        return InlineSqliteDatabase(database_url, echo=echo, limits=limits)
    # Imported only when needed: SQLAlchemy's asyncio layer and greenlet cost ~5 MB of RSS.
    from impl.db_pooled import AsyncEngineDatabase

    return AsyncEngineDatabase(database_url, echo=echo, limits=limits)
