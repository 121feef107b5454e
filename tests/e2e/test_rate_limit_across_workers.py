"""With REDIS_URL set, failed logins counted by one worker block the same username on every other worker."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from impl.app import create_app
from tests.databases import make_settings
from tests.services import REDIS_URL, require_redis
from tests.users import PASSWORD, sign_up

LIMIT = 3


@pytest.fixture
async def workers(app: FastAPI, database_url: str) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient]]:
    """Two app instances (as two uvicorn workers would be) on one database and one Redis."""
    require_redis()
    settings = make_settings(
        database_url,
        redis_url=REDIS_URL,
        login_failures_per_user=LIMIT,
        login_failures_per_ip=10**6,  # these tests are about the username key
        login_failure_window_seconds=60,
    )
    first, second = create_app(settings), create_app(settings)
    # A client address of this test's own (from 2001:db8::/32, for documentation): the per-address Redis key is
    # never one another test or a concurrent run on the same Redis counts against.
    random = uuid.uuid4().hex
    client = (f"2001:db8::{random[:4]}:{random[4:8]}", 50000)
    # The lifespans run as under uvicorn: shutting down closes each worker's Redis connections and database.
    async with (
        first.router.lifespan_context(first),
        second.router.lifespan_context(second),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=first, client=client), base_url="http://worker-1") as one,
        httpx.AsyncClient(transport=httpx.ASGITransport(app=second, client=client), base_url="http://worker-2") as two,
    ):
        yield one, two


async def _password_grant(client: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    return await client.post("/token", data={"grant_type": "password", "username": email, "password": password})


async def test_failures_on_one_worker_block_the_username_on_another(
    workers: tuple[httpx.AsyncClient, httpx.AsyncClient],
) -> None:
    one, two = workers
    email = f"shared-{uuid.uuid4().hex}@example.com"  # a fresh Redis key: runs never see each other's counters
    await sign_up(one, email)
    for _ in range(LIMIT):
        assert (await _password_grant(one, email, "wrong password!")).status_code == 400
    blocked = await _password_grant(two, email, PASSWORD)
    assert blocked.status_code == 429
    assert 1 <= int(blocked.headers["retry-after"]) <= 60
    assert blocked.headers["content-type"] == "application/problem+json"


async def test_a_success_is_not_counted_and_does_not_forgive_earlier_failures(
    workers: tuple[httpx.AsyncClient, httpx.AsyncClient],
) -> None:
    one, two = workers
    email = f"shared-{uuid.uuid4().hex}@example.com"
    await sign_up(one, email)
    for _ in range(LIMIT - 1):
        assert (await _password_grant(one, email, "wrong password!")).status_code == 400
    # The right password gives its own reservation back, so it never costs an attempt...
    assert (await _password_grant(two, email, PASSWORD)).status_code == 200
    assert (await _password_grant(two, email, PASSWORD)).status_code == 200
    # ...but the window's failures stay: one more wrong guess uses the last attempt, then everything waits.
    assert (await _password_grant(one, email, "wrong password!")).status_code == 400
    assert (await _password_grant(two, email, PASSWORD)).status_code == 429


async def test_a_concurrent_burst_over_both_workers_is_evaluated_at_most_the_limit(
    workers: tuple[httpx.AsyncClient, httpx.AsyncClient],
) -> None:
    one, two = workers
    email = f"shared-{uuid.uuid4().hex}@example.com"
    await sign_up(one, email)
    # 19 wrong guesses and the right password, all at once, alternating between the workers: each guess is
    # reserved in Redis (one Lua script) before it is hashed, so no worker can evaluate past the limit.
    guesses = ["wrong password!"] * 19 + [PASSWORD]
    responses = await asyncio.gather(
        *(_password_grant(one if n % 2 else two, email, guess) for n, guess in enumerate(guesses))
    )
    statuses = Counter(response.status_code for response in responses)
    # At most LIMIT wrong guesses are evaluated; the right password, if it got a slot, costs none.
    assert statuses[400] <= LIMIT, statuses
    assert statuses[200] <= 1 and statuses[429] >= len(guesses) - LIMIT - 1, statuses
