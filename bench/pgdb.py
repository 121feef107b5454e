"""Throwaway PostgreSQL databases for the tests, the soak and the bench, and plain asyncpg connections.

A throwaway database is `<prefix>_<pid>_<random>`, created from template0 next to a maintenance database and dropped
WITH (FORCE) at the end. The connection that creates it carries its name as application_name until then, so a
database of the prefix that no session is named after belongs to a run killed before its teardown: the next run
with that prefix drops it, nothing leaks. Each prefix only ever drops its own (tests: `test`, soak: `soak`, bench:
`bench`).
"""

from __future__ import annotations

import asyncio
import os
import re
import secrets
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import Any, Self, TypeVar

import asyncpg  # type: ignore[import-untyped]  # asyncpg ships no type information
from sqlalchemy.engine import make_url

_T = TypeVar("_T")

# One statement reads both catalogs: a database visible to it was created before it started, so its creator's
# session (connected before that) is visible too.
_ABANDONED = """
SELECT datname FROM pg_database AS d
WHERE datname ~ $1 AND NOT EXISTS (SELECT FROM pg_stat_activity AS a WHERE a.application_name = d.datname)
"""


def name_pattern(prefix: str) -> re.Pattern[str]:
    """The names of `prefix`'s throwaway databases, the only ones its clean-up drops (also a PostgreSQL regex)."""
    return re.compile(rf"^{prefix}_[0-9]+_[0-9a-f]{{8}}$")


async def connect(url: str, *, application_name: str = "contract-api", timeout: float = 10.0) -> asyncpg.Connection:
    """A plain asyncpg connection to the database of a SQLAlchemy `postgresql+asyncpg://` URL."""
    parts = make_url(url)
    return await asyncpg.connect(
        host=parts.host,
        port=parts.port,
        user=parts.username,
        password=parts.password,
        database=parts.database,
        server_settings={"application_name": application_name},
        timeout=timeout,
    )


class ThrowawayDatabase:
    """A new empty database on the server of `server_url` from `open()` (or the start of a `with` block) until
    `close()`; nothing is created before.

    It has an event loop of its own: callers are sync (fixtures, benchmarks; Alembic runs its own loop too), and the
    guard connection must outlive any one `asyncio.run`, since it marks the database as in use for exactly as long
    as it is open.
    """

    def __init__(self, server_url: str, prefix: str) -> None:
        self.server_url = server_url
        self.prefix = prefix
        self.name = f"{prefix}_{os.getpid()}_{secrets.token_hex(4)}"
        self._loop = asyncio.new_event_loop()
        self._guard: asyncpg.Connection | None = None

    @property
    def url(self) -> str:
        """The SQLAlchemy URL of the database (the server's URL with the database's name)."""
        return make_url(self.server_url).set(database=self.name).render_as_string(hide_password=False)

    @property
    def guard(self) -> asyncpg.Connection:
        """The connection that created the database, to the maintenance database; `run` its coroutines."""
        assert self._guard is not None, "open() first"
        return self._guard

    def run(self, coro: Coroutine[Any, Any, _T]) -> _T:
        """Run `coro` to its end on the database's event loop (the guard's)."""
        return self._loop.run_until_complete(coro)

    def open(self) -> None:
        """Drop the prefix's abandoned databases, then create this one."""
        self._guard = self.run(connect(self.server_url, application_name=self.name))
        for (abandoned,) in self.run(self.guard.fetch(_ABANDONED, name_pattern(self.prefix).pattern)):
            self.run(self.guard.execute(f'DROP DATABASE IF EXISTS "{abandoned}" WITH (FORCE)'))
        # template0: CREATE DATABASE fails while anyone is connected to its template, and template1 may be busy.
        self.run(self.guard.execute(f'CREATE DATABASE "{self.name}" TEMPLATE template0'))

    def close(self) -> None:
        """Drop the database, then close the guard connection and the loop."""
        try:
            if self._guard is not None:
                try:
                    # FORCE: a server (or a live server thread's pool) may still hold connections.
                    self.run(self._guard.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
                finally:
                    self.run(self._guard.close())
                    self._guard = None
        finally:
            self._loop.close()

    def __enter__(self) -> Self:
        try:
            self.open()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()


@contextmanager
def fresh_database(server_url: str, prefix: str) -> Iterator[str]:
    """A new empty database `<prefix>_<pid>_<random>` on the server of `server_url`, dropped (FORCE) when the block
    ends; yields its URL."""
    with ThrowawayDatabase(server_url, prefix) as database:
        yield database.url


__all__ = ["ThrowawayDatabase", "connect", "fresh_database", "name_pattern"]
