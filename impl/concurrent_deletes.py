"""Writes that refer to a row another request may delete while this one runs.

A request checks its account (or its item, its session) at the start, then writes a row referring to it: a file
after an upload of minutes, an item, a session after the password hash. If another request deletes the referred row
in between, the write fails its foreign key. That is no server error: the request gets the answer it would have got
a moment later (401 for a deleted account, say), and nothing of it is kept.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from sqlalchemy import Table, select
from sqlalchemy.exc import IntegrityError

from impl.db import DbConnection
from impl.problems import Unauthorized


@asynccontextmanager
async def refers_to(
    conn: DbConnection, table: Table, row_id: object, gone: Callable[[], Exception]
) -> AsyncIterator[None]:
    """The block writes rows referring to `table`'s row `row_id` (None: to no row): when a write fails an integrity
    check and that row no longer exists, roll back and raise `gone()` instead; any other integrity error is
    re-raised."""
    try:
        yield
    except IntegrityError:
        if row_id is None:
            raise
        await conn.rollback()  # PostgreSQL answers nothing more in a failed transaction
        found = (await conn.execute(select(table.c.id).where(table.c.id == row_id))).first()
        if found is None:
            raise gone() from None
        raise


def account_gone() -> Unauthorized:
    """What a request authenticated as an account that no longer exists gets (the authenticator's answer too)."""
    return Unauthorized("the account of this token no longer exists", invalid_token=True)
