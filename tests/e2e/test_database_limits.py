"""Each database bound is a setting, and each holds: statement timeout, pool size and checkout timeout, connect
timeout; and the app works behind a real PgBouncer in transaction pooling mode with DATABASE_PGBOUNCER on.

Past a bound the client gets 503 problem+json with Retry-After, in about the configured time; nothing waits on.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Iterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from impl.app import create_app
from tests.databases import connect, empty_and_close, make_settings, migrate
from tests.pgcluster import PostgresCluster, pgbouncer, private_postgres
from tests.users import PASSWORD, authenticated_client, get_token, sign_up

RETRY_AFTER = 4
# Scheduling slack on a shared 2-core machine: a bound holds when the 503 comes within the limit plus this.
SLACK_SECONDS = 1.0
# A request that outlives this has hung: the test fails instead of waiting on (asyncpg alone would wait 60 s).
HANG_GUARD_SECONDS = 10


@pytest.fixture(scope="module")
def cluster() -> Iterator[PostgresCluster]:
    with private_postgres() as pg:
        migrate(pg.url, "head")
        yield pg


async def _app(url: str, **overrides: object) -> FastAPI:
    return create_app(make_settings(url, database_retry_after_seconds=RETRY_AFTER, **overrides))


async def _alice(app: FastAPI, email: str = "alice@example.com") -> str:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        await sign_up(client, email)
        return await get_token(client, email)


async def _timed(request: Awaitable[httpx.Response]) -> tuple[httpx.Response, float]:
    """The response and how long it took; fails (not hangs) past HANG_GUARD_SECONDS."""
    started = time.monotonic()
    async with asyncio.timeout(HANG_GUARD_SECONDS):
        response = await request
    return response, time.monotonic() - started


def _assert_unavailable(response: httpx.Response, elapsed: float, bound: float) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["retry-after"] == str(RETRY_AFTER)
    assert elapsed < bound, f"503 after {elapsed:.2f} s, bound {bound} s"


async def test_statement_timeout_ends_a_statement_stuck_on_a_lock_with_503(cluster: PostgresCluster) -> None:
    timeout = 0.4
    app = await _app(cluster.url, database_statement_timeout_seconds=timeout)
    try:
        async with authenticated_client(app, await _alice(app)) as alice:
            item = (await alice.post("/items", json={"name": "Foo", "price": 1})).json()
            # Another session holds the row (as a long batch job would): the PATCH's UPDATE waits for it.
            holder = await connect(cluster.url)
            try:
                async with holder.transaction():
                    await holder.execute("SELECT 1 FROM items WHERE id = $1 FOR UPDATE", item["id"])
                    response, elapsed = await _timed(alice.patch(f"/items/{item['id']}", json={"price": 2}))
                    _assert_unavailable(response, elapsed, timeout + SLACK_SECONDS)
                    # The server cancelled it at DATABASE_STATEMENT_TIMEOUT_SECONDS (not the client's later bound).
                    assert "statement timeout" in response.json()["detail"]
                    assert elapsed >= timeout * 0.9
                    print(f"\nstatement timeout {timeout} s: 503 after {elapsed:.2f} s")
                    # Reads do not wait for the row lock.
                    assert (await alice.get(f"/items/{item['id']}")).status_code == 200
            finally:
                await holder.close()
            # The lock is gone: the same write succeeds on the same pool.
            assert (await alice.patch(f"/items/{item['id']}", json={"price": 2})).status_code == 200
    finally:
        await empty_and_close(app)


async def test_pool_size_overflow_and_checkout_timeout_bound_waiting_for_a_connection(
    cluster: PostgresCluster,
) -> None:
    checkout_timeout = 0.4
    app = await _app(
        cluster.url, database_pool_size=1, database_max_overflow=1, database_pool_timeout_seconds=checkout_timeout
    )
    try:
        async with authenticated_client(app, await _alice(app)) as alice:
            held, release = asyncio.Event(), asyncio.Event()
            holders = 0

            async def hold() -> None:
                nonlocal holders
                async with app.state.database.connect() as conn:
                    await conn.execute(text("SELECT 1"))
                    holders += 1
                    if holders == 2:
                        held.set()
                    await release.wait()

            # Pool size 1 + overflow 1: two borrowers drain it.
            tasks = [asyncio.create_task(hold()) for _ in range(2)]
            await held.wait()
            admin = await connect(cluster.url)
            try:
                opened = await admin.fetchval(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
                assert opened == 2  # never more server connections than pool size + overflow
            finally:
                await admin.close()
            response, elapsed = await _timed(alice.get("/items"))
            _assert_unavailable(response, elapsed, checkout_timeout + SLACK_SECONDS)
            assert elapsed >= checkout_timeout * 0.9
            assert "no database connection became free" in response.json()["detail"]
            print(f"\npool checkout timeout {checkout_timeout} s: 503 after {elapsed:.2f} s")
            release.set()
            await asyncio.gather(*tasks)
            assert (await alice.get("/items")).status_code == 200
    finally:
        await empty_and_close(app)


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A port whose listener completes TCP handshakes and never answers (a hung host, a half-dead proxy)."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        yield listener.getsockname()[1]


async def test_connect_timeout_bounds_a_server_that_never_answers(silent_server: int) -> None:
    connect_timeout = 0.4
    url = f"postgresql+asyncpg://postgres@127.0.0.1:{silent_server}/postgres"
    app = await _app(url, database_connect_timeout_seconds=connect_timeout)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
            for path in ("/items", "/items/1"):
                response, elapsed = await _timed(client.get(path))
                _assert_unavailable(response, elapsed, connect_timeout + SLACK_SECONDS)
                assert elapsed >= connect_timeout * 0.9
            print(f"\nconnect timeout {connect_timeout} s: 503 after {elapsed:.2f} s")
            ready, _ = await _timed(client.get("/readyz"))
            assert ready.status_code == 503
    finally:
        await app.state.database.dispose()


@pytest.fixture
async def bouncer_url(cluster: PostgresCluster) -> AsyncIterator[str]:
    with pgbouncer(cluster, pool_size=2) as url:
        yield url


async def _journey(app: FastAPI, n: int) -> None:
    """Sign up, sign in, then create, read, list, change (If-Match) and delete an item."""
    token = await _alice(app, f"user{n}@example.com")
    async with authenticated_client(app, token) as user:
        created = await user.post("/items", json={"name": f"Item {n}", "price": 1.5, "tags": ["a"]})
        assert created.status_code == 201, created.text
        item_id = created.json()["id"]
        read = await user.get(f"/items/{item_id}")
        assert read.status_code == 200, read.text
        assert (await user.get("/items", params={"mine": "true"})).json()[0]["id"] == item_id
        patched = await user.patch(f"/items/{item_id}", json={"price": 2.5}, headers={"If-Match": read.headers["etag"]})
        assert patched.status_code == 200, patched.text
        assert (await user.get("/users/me")).status_code == 200
        deleted = await user.delete(f"/items/{item_id}", headers={"If-Match": patched.headers["etag"]})
        assert deleted.status_code == 204, deleted.text


async def test_crud_journeys_work_behind_pgbouncer_in_transaction_mode(bouncer_url: str) -> None:
    # More app connections (pool 6) than PgBouncer's server connections (2): transactions of different app
    # connections share server connections, which is where prepared statements by name would collide.
    app = await _app(bouncer_url, database_pgbouncer=True, database_pool_size=6, database_max_overflow=0)
    try:
        await asyncio.gather(*(_journey(app, n) for n in range(6)))
        await asyncio.gather(*(_journey(app, n) for n in range(6, 12)))
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
            assert (await client.get("/readyz")).status_code == 200
            # The password grant through the bouncer too (argon2 + a read + a write per token).
            token = await client.post(
                "/token", data={"grant_type": "password", "username": "user0@example.com", "password": PASSWORD}
            )
            assert token.status_code == 200, token.text
    finally:
        await empty_and_close(app)
