"""Rows for the housekeeping tests, written straight into the tables with the timestamps each case needs, and the
empty database they start from (the `database` fixture, imported by both housekeeping modules)."""

from __future__ import annotations

import datetime as dt
import itertools
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import delete, func, insert, select

from impl.db import Database, open_database
from impl.settings import Settings
from impl.tables import idempotency_keys_table as _keys
from impl.tables import notification_outbox_table as _outbox
from impl.tables import refresh_tokens_table as _refresh
from impl.tables import sessions_table as _sessions
from impl.tables import users_table as _users

# Microseconds too: stored timestamps have them, and the walk over sessions must compare them exactly.
NOW = dt.datetime(2030, 6, 1, 12, 0, 0, 123456, tzinfo=dt.UTC)
# A session's expiry unless a case gives one: beyond every clock the cases run at, so only their tokens decide.
FAR = NOW + dt.timedelta(days=365)
_ids = itertools.count(1)


def ago(seconds: float) -> dt.datetime:
    """`seconds` before NOW."""
    return NOW - dt.timedelta(seconds=seconds)


async def empty(database: Database) -> None:
    """Delete every row the housekeeping tests write (children first)."""
    async with database.connect() as conn:
        for table in (_refresh, _sessions, _users, _keys, _outbox):
            await conn.execute(delete(table))
        await conn.commit()


@pytest.fixture
async def database(settings: Settings) -> AsyncIterator[Database]:
    """The test database with every housekeeping table empty, before the test and after it."""
    db = open_database(settings.database_url)
    await empty(db)
    yield db
    await empty(db)
    await db.dispose()


@dataclass
class Seed:
    """Rows written straight into the tables, with the timestamps each case needs."""

    database: Database

    async def user(self) -> int:
        user_id = next(_ids) + 10_000
        row = {
            "id": user_id,
            "email": f"u{user_id}@example.com",
            "email_key": f"u{user_id}@example.com",
            "password_hash": "x",
            "scopes": [],
            "is_active": True,
            "created_at": NOW,
            "updated_at": NOW,
        }
        await self._insert(_users, [row])
        return user_id

    async def keys(self, *created: dt.datetime) -> list[str]:
        names = [f"key-{uuid.uuid4()}" for _ in created]
        rows = [
            {"principal": "1", "key": name, "request_hash": "h", "response": {}, "created_at": at}
            for name, at in zip(names, created, strict=True)
        ]
        await self._insert(_keys, rows)
        return names

    async def outbox(self, status: str, *, finished: dt.datetime, delivered: bool = False, count: int = 1) -> list[str]:
        """Rows that reached `status` at `finished` (delivered, or given up on); pending ones are due since then."""
        ids = [str(uuid.uuid4()) for _ in range(count)]
        rows = [
            {
                "id": row_id,
                "user_id": 1,
                "recipient": "friend@example.org",
                "subject": "s",
                "body": "b",
                "request_id": None,
                "status": status,
                "attempts": 3,
                "next_attempt_at": finished,
                "last_error": None,
                "created_at": finished - dt.timedelta(days=1),
                "delivered_at": finished if delivered else None,
            }
            for row_id in ids
        ]
        await self._insert(_outbox, rows)
        return ids

    async def session(
        self,
        user_id: int,
        *,
        created: dt.datetime,
        tokens: Sequence[tuple[dt.datetime, dt.datetime]] = (),
        revoked: dt.datetime | None = None,
        expires: dt.datetime = FAR,
        count: int = 1,
    ) -> list[str]:
        """Sessions ending at `expires`, with refresh tokens (issued, expires); every token but the newest is spent."""
        ids = [str(uuid.uuid4()) for _ in range(count)]
        row = {"user_id": user_id, "scope": "", "created_at": created, "revoked_at": revoked, "expires_at": expires}
        await self._insert(_sessions, [{"id": id_, **row} for id_ in ids])
        rows = [
            {
                "token_hash": uuid.uuid4().hex + uuid.uuid4().hex,
                "session_id": session_id,
                "issued_at": issued,
                "expires_at": expires,
                "used_at": None if number == len(tokens) - 1 else issued,
            }
            for session_id in ids
            for number, (issued, expires) in enumerate(tokens)
        ]
        if rows:
            await self._insert(_refresh, rows)
        return ids

    async def _insert(self, table: Any, rows: list[dict[str, Any]]) -> None:
        async with self.database.connect() as conn:
            await conn.execute(insert(table), rows)  # type: ignore[arg-type]  # a list: SQLAlchemy's executemany
            await conn.commit()


async def values_of(database: Database, column: Any) -> set[Any]:
    """Every value of `column`."""
    async with database.connect() as conn:
        return set((await conn.execute(select(column))).scalars())


async def rows_in(database: Database, table: Any) -> int:
    """How many rows `table` has."""
    async with database.connect() as conn:
        return int((await conn.execute(select(func.count()).select_from(table))).scalar_one())
