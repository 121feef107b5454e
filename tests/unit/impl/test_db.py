"""One connection model: a task holds at most one connection; nesting fails at once instead of deadlocking."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import delete, insert, select, text, update

from impl.db import Database, NestedConnectionError, open_database
from impl.problems import DatabaseUnavailable
from impl.settings import Settings
from impl.tables import items_table
from tests.users import ALICE, authenticated_client, sign_up_and_get_token

# Generous: a deadlock never finishes, a working nested check fails in microseconds.
HANG_GUARD_SECONDS = 10


@pytest.fixture
async def database(settings: Settings) -> AsyncIterator[Database]:
    db = open_database(settings.database_url)
    yield db
    await db.dispose()


async def test_nested_connection_in_one_task_fails_at_once(database: Database) -> None:
    async with asyncio.timeout(HANG_GUARD_SECONDS):
        async with database.connect() as conn:
            await conn.execute(text("SELECT 1"))
            with pytest.raises(NestedConnectionError):
                async with database.connect():
                    pass
            # The outer connection is still usable after the refused nested attempt.
            await conn.execute(text("SELECT 1"))


async def test_sequential_and_concurrent_tasks_each_get_a_connection(database: Database) -> None:
    async def one() -> None:
        async with database.connect() as conn:
            await conn.execute(text("SELECT 1"))
            await asyncio.sleep(0)

    async with asyncio.timeout(HANG_GUARD_SECONDS):
        await one()
        await one()
        await asyncio.gather(*(one() for _ in range(25)))


async def test_authenticated_writes_under_concurrency_never_hang(app: FastAPI, client: httpx.AsyncClient) -> None:
    # The authenticator and the service both borrow connections; on SQLite this order once deadlocked.
    token = await sign_up_and_get_token(client, ALICE)
    async with authenticated_client(app, token) as alice, asyncio.timeout(HANG_GUARD_SECONDS):
        responses = await asyncio.gather(
            *(alice.post("/items", json={"name": f"item {i}", "price": 1.5}) for i in range(20)),
            *(alice.get("/items?mine=true") for _ in range(5)),
        )
    assert [r.status_code for r in responses] == [201] * 20 + [200] * 5


async def test_a_deadlock_is_a_503_to_retry_and_the_other_transaction_commits(postgres_database_url: str) -> None:
    """Two transactions locking two rows in opposite orders: PostgreSQL rolls one back (40P01), which the client
    may retry, so it gets the 503 with Retry-After of a database that cannot serve now, not a 500."""
    database = open_database(postgres_database_url)
    try:
        async with database.connect() as conn:
            now = dt.datetime.now(dt.UTC)
            row = {"price": 1.0, "tags": [], "images": [], "version": 1, "created_at": now, "updated_at": now}
            rows = [{**row, "name": name} for name in ("a", "b")]
            ids = list((await conn.execute(insert(items_table).returning(items_table.c.id), rows)).scalars())
            await conn.commit()
        both_locked_one = asyncio.Barrier(2)

        async def update_in_order(first: int, second: int) -> None:
            async with database.connect() as conn:
                await conn.execute(update(items_table).where(items_table.c.id == first).values(price=2.0))
                await both_locked_one.wait()
                await conn.execute(update(items_table).where(items_table.c.id == second).values(price=3.0))
                await conn.commit()

        outcomes = await asyncio.wait_for(
            asyncio.gather(update_in_order(*ids), update_in_order(*reversed(ids)), return_exceptions=True),
            HANG_GUARD_SECONDS,
        )
        failures = [outcome for outcome in outcomes if outcome is not None]
        assert len(failures) == 1, outcomes
        (failure,) = failures
        assert isinstance(failure, DatabaseUnavailable), repr(failure)
        assert "deadlock" in failure.detail and failure.headers["Retry-After"]
        async with database.connect() as conn:
            prices = (await conn.execute(select(items_table.c.price).where(items_table.c.id.in_(ids)))).scalars()
        assert sorted(prices) == [2.0, 3.0]  # the winner's two updates, and nothing of the loser's
    finally:
        async with database.connect() as conn:
            await conn.execute(delete(items_table))
            await conn.commit()
        await database.dispose()
