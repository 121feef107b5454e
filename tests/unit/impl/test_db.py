"""One connection model: a task holds at most one connection; nesting fails at once instead of deadlocking."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from impl.db import Database, NestedConnectionError, open_database
from impl.settings import Settings
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
