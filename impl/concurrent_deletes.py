"""Writes that refer to a row another request may delete while this one runs, and deletions that must not miss them.

A request checks its account (or its item) at the start, then writes a row referring to it: a file after an upload
of minutes, an item. If another request deletes the referred row in between, the write fails its foreign key. That
is no server error: the request gets the answer it would have got a moment later (401 for a deleted account, say),
and nothing of it is kept (`raise_if_gone`, `hold_account`). A login checks the account again where it opens the
session (`password_still_current` in impl/security/login.py).

A deletion collects the stored keys of the files going with it, deletes the rows, commits, then deletes the bytes.
A file row committed after the keys were collected would go by cascade with its bytes left behind; so a deletion
locks the rows it deletes first (the account, then its items; the item), and waits for the writes in flight that
refer to them. On PostgreSQL every transaction here takes its row locks in one order, accounts (in id order) before
items, so two of them never wait for each other in a cycle; SQLite runs one transaction at a time and needs no locks.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Table, bindparam, select

from impl.db import DbConnection
from impl.problems import Unauthorized
from impl.tables import items_table as _items
from impl.tables import users_table as _users

_ACCOUNT = select(_users.c.id).where(_users.c.id == bindparam("user_id"))
# The lock a foreign key to the account takes: it keeps the account from being deleted, and nothing else.
_HOLD_ACCOUNT = _ACCOUNT.with_for_update(read=True, key_share=True)
_LOCK_ACCOUNT = _ACCOUNT.with_for_update()
_LOCK_ITEMS = select(_items.c.id).where(_items.c.owner_id == bindparam("user_id")).with_for_update()


async def raise_if_gone(conn: DbConnection, table: Table, row_id: object, gone: Callable[[], Exception]) -> None:
    """For the handler of an IntegrityError from a write referring to `table`'s row `row_id` (None: to no row): when
    that row no longer exists, roll back and raise `gone()`; else return, for the handler to re-raise the error.
    (An `except` clause, not a context manager: this runs on every POST /items, and `try` costs nothing.)"""
    if row_id is None:
        return
    await conn.rollback()  # PostgreSQL answers nothing more in a failed transaction
    if (await conn.execute(select(table.c.id).where(table.c.id == row_id))).first() is None:
        raise gone() from None


async def hold_account(conn: DbConnection, user_id: int) -> None:
    """Keep the account from being deleted until the transaction ends (taken before any other row lock); 401 when
    it is gone already."""
    if (await conn.execute(_HOLD_ACCOUNT, {"user_id": user_id})).first() is None:
        raise account_gone()


async def lock_account_for_deletion(conn: DbConnection, user_id: int) -> bool:
    """Lock the account and its items for the transaction that deletes them, once the writes referring to them
    have committed; False when there is no such account."""
    if (await conn.execute(_LOCK_ACCOUNT, {"user_id": user_id})).first() is None:
        return False
    await conn.execute(_LOCK_ITEMS, {"user_id": user_id})
    return True


def account_gone() -> Unauthorized:
    """What a request authenticated as an account that no longer exists gets (the authenticator's answer too)."""
    return Unauthorized("the account of this token no longer exists", invalid_token=True)
