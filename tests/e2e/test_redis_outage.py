"""Redis stopped and started again under a live app: attempt limits fail closed (503 + Retry-After), item writes
go on (their events are best effort), and everything recovers without a restart of the app.

The test runs its own `redis-server` on a spare port, so stopping it touches nobody else's Redis.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from impl.app import create_app
from tests.databases import empty_and_close, make_settings
from tests.redis_server import RedisProcess
from tests.users import ALICE, PASSWORD, get_token, sign_up, token_response


@pytest.fixture
async def redis_app(database_url: str, private_redis: RedisProcess) -> AsyncIterator[FastAPI]:
    app = create_app(make_settings(database_url, redis_url=private_redis.url))
    async with app.router.lifespan_context(app):
        yield app
    await empty_and_close(app)


async def test_limits_fail_closed_while_redis_is_down_and_recover_after(
    redis_app: FastAPI, private_redis: RedisProcess
) -> None:
    transport = httpx.ASGITransport(app=redis_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        await sign_up(client, ALICE)
        auth = {"Authorization": f"Bearer {await get_token(client, ALICE)}"}
        private_redis.stop()

        started = time.monotonic()
        refused = await token_response(client, ALICE, PASSWORD)
        assert refused.status_code == 503, refused.text
        assert refused.headers["content-type"] == "application/problem+json"
        assert int(refused.headers["retry-after"]) >= 1
        assert time.monotonic() - started < 5  # bounded: no hang on a dead Redis
        signup = await client.post("/users", json={"email": "bob@example.com", "password": PASSWORD})
        assert signup.status_code == 503
        # Writes that only publish an event through Redis still succeed: the event is best effort, the row is not.
        created = await client.post("/items", json={"name": "Foo", "price": 1}, headers=auth)
        assert created.status_code == 201, created.text

        private_redis.start()
        recovered = await token_response(client, ALICE, PASSWORD)
        assert recovered.status_code == 200, recovered.text
