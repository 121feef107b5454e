"""`raise_if_gone` turns only the integrity error of a deleted referred row into the request's answer, and undoes
what the transaction wrote before it; every other integrity error stays one (tests/e2e/test_concurrent_changes.py
drives the requests that use it)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError

from impl.concurrent_deletes import raise_if_gone
from impl.db import Database, DbConnection
from impl.tables import sessions_table, users_table
from tests.unit.impl.housekeeping_rows import FAR, NOW, Seed, database

__all__ = ["database"]


class Gone(Exception):
    """What the caller answers when the referred row is gone."""


async def _insert_session(conn: DbConnection, session: dict[str, object], refers_to: int | None) -> None:
    """A write referring to the account `refers_to`, handled as the app's writes are."""
    try:
        await conn.execute(insert(sessions_table), session)
    except IntegrityError:
        await raise_if_gone(conn, users_table, refers_to, Gone)
        raise


def _session(session_id: str, user_id: int) -> dict[str, object]:
    return {"id": session_id, "user_id": user_id, "scope": "", "created_at": NOW, "expires_at": FAR}


async def _sessions(database: Database) -> int:
    async with database.connect() as conn:
        count: int = (await conn.execute(select(func.count()).select_from(sessions_table))).scalar_one()
    return count


async def test_a_write_referring_to_a_deleted_row_raises_gone_and_keeps_nothing(database: Database) -> None:
    user_id = await Seed(database).user()
    async with database.connect() as conn:
        await conn.execute(users_table.delete().where(users_table.c.id == user_id))
        await conn.commit()
    async with database.connect() as conn:
        with pytest.raises(Gone):
            await _insert_session(conn, _session("s1", user_id), user_id)
    assert await _sessions(database) == 0


async def test_the_writes_before_the_failed_one_are_undone(database: Database) -> None:
    seed = Seed(database)
    user_id = await seed.user()
    deleted = await seed.user()
    async with database.connect() as conn:
        await conn.execute(users_table.delete().where(users_table.c.id == deleted))
        await conn.commit()
    async with database.connect() as conn:
        await conn.execute(insert(sessions_table), _session("first", user_id))
        with pytest.raises(Gone):
            await _insert_session(conn, _session("second", deleted), deleted)
        await conn.commit()  # what a caller catching Gone might still do: nothing is left to commit
    assert await _sessions(database) == 0


@pytest.mark.parametrize("referred", ["an existing row", "no row"])
async def test_any_other_integrity_error_is_raised_as_it_is(database: Database, referred: str) -> None:
    user_id = await Seed(database).user()
    async with database.connect() as conn:
        await conn.execute(insert(sessions_table), _session("dup", user_id))
        with pytest.raises(IntegrityError):
            await _insert_session(conn, _session("dup", user_id), user_id if referred == "an existing row" else None)
