"""The database goes away under a live app: PostgreSQL stopped mid-traffic or frozen, SQLite read-only or locked.

Every operation that needs the database then answers 503 problem+json with Retry-After within a bound (no hang,
no 500, no traceback), `/readyz` says 503, and the app recovers by itself once the database is back. PostgreSQL is
a private cluster (tests/pgcluster.py), so stopping it touches nobody else's server.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import pwd
import shutil
import sqlite3
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError

from generated import OPERATIONS
from impl.app import create_app
from impl.problems import DatabaseUnavailable
from impl.settings import DEFAULT_SCOPES
from tests.contract.contract import operations
from tests.databases import empty_and_close, make_settings, migrate
from tests.pgcluster import PostgresCluster, private_postgres
from tests.users import ALICE, PASSWORD, authenticated_client, sign_up

RETRY_AFTER = 3
# A refused connection answers in milliseconds: the bound only has to tell an answer from a hang.
DOWN_BOUND_SECONDS = 2.0
CONNECT_TIMEOUT = 0.5
STATEMENT_TIMEOUT = 0.5
# A frozen server: the client gives up on a statement (or the pool's pre-ping) after the statement timeout plus its
# 1 s grace, and SQLAlchemy's close of the dead connection waits up to 2 s more; new connections time out sooner.
FROZEN_BOUND_SECONDS = STATEMENT_TIMEOUT + 1.0 + 2.0 + 1.5
PNG = b"\x89PNG\r\n\x1a\n" + bytes(32)
# A request that outlives this has hung: the test fails instead of waiting on.
HANG_GUARD_SECONDS = 15


async def _timed(request: Awaitable[httpx.Response]) -> tuple[httpx.Response, float]:
    """The response and how long it took; fails (not hangs) past HANG_GUARD_SECONDS."""
    started = time.monotonic()
    async with asyncio.timeout(HANG_GUARD_SECONDS):
        response = await request
    return response, time.monotonic() - started


@pytest.fixture(scope="module")
def cluster() -> Iterator[PostgresCluster]:
    with private_postgres() as pg:
        migrate(pg.url, "head")
        yield pg


@dataclass
class World:
    """What the requests of `_request` refer to, created while the database was up."""

    item_id: int
    file_id: str
    user_id: int
    refresh_token: str
    email: str = ALICE


async def _populate(client: httpx.AsyncClient, app: FastAPI) -> tuple[World, str]:
    user = await sign_up(client, ALICE)
    tokens = (
        await client.post("/token", data={"grant_type": "password", "username": ALICE, "password": PASSWORD})
    ).json()
    async with authenticated_client(app, tokens["access_token"]) as alice:
        item = (await alice.post("/items", json={"name": "Foo", "price": 1.5})).json()
        uploaded = await alice.post("/files", files={"file": ("a.bin", b"bytes", "application/octet-stream")})
        assert uploaded.status_code == 201, uploaded.text
    world = World(item["id"], uploaded.json()["id"], int(str(user["id"])), tokens["refresh_token"])
    return world, tokens["access_token"]


def _arguments(operation_id: str, world: World) -> dict[str, Any]:
    """A plausible request for each operation that needs the database (its body, form, files and headers)."""
    item = {"name": "Foo", "price": 2.5}
    password_form = {"grant_type": "password", "username": world.email, "password": PASSWORD}
    table: dict[str, dict[str, Any]] = {
        "getReadiness": {},
        "listItems": {"params": {"q": "Foo"}},
        "createItem": {"json": item},
        "getItem": {},
        "replaceItem": {"json": item, "headers": {"If-Match": "*"}},
        "updateItem": {"json": {"price": 3.5}},
        "deleteItem": {},
        "uploadItemImage": {"files": {"file": ("front.png", PNG, "image/png")}},
        "uploadFile": {"files": {"file": ("a.bin", b"bytes", "application/octet-stream")}},
        "getFile": {},
        "downloadFile": {},
        "listUsers": {},
        "createUser": {"json": {"email": "carol@example.com", "password": PASSWORD}},
        "readCurrentUser": {},
        "updateCurrentUser": {"json": {"full_name": "Alice"}},
        "getUser": {},
        "deleteUser": {"json": {"current_password": PASSWORD}},
        "updateUser": {"json": {"is_active": True}},
        "issueToken": {"data": password_form},
        "revokeToken": {"data": {"token": world.refresh_token}},
        "login": {"data": {"username": world.email, "password": PASSWORD}},
        "logout": {},
        "sendNotification": {},
    }
    return table[operation_id]


# Operations that never touch the database (the liveness probe, constants, the cookie echo; the metrics scrape
# leaves database-read values out instead of failing). Every other operation needs it.
DATABASE_FREE = frozenset(
    {"readRoot", "getHealth", "getPublicSettings", "getMetrics", "getModel", "getUnicorn", "readLastQuery"}
)


def _needing_database() -> list[str]:
    return sorted({op.operation_id for op in OPERATIONS} - DATABASE_FREE)


def _beyond_alice(operation_id: str) -> bool:
    """Whether every security alternative of the operation needs a scope alice's account lacks (users:admin)."""
    (operation,) = (op for op in OPERATIONS if op.operation_id == operation_id)
    return bool(operation.security) and all(
        not {scope for scopes in alternative.values() for scope in scopes} <= set(DEFAULT_SCOPES)
        for alternative in operation.security
    )


def _declaring_503() -> set[str]:
    """The operations whose contract declares a 503 response."""
    return {operation["operationId"] for _, _, operation in operations() if "503" in operation["responses"]}


async def _request(client: httpx.AsyncClient, operation_id: str, world: World) -> httpx.Response:
    (operation,) = (op for op in OPERATIONS if op.operation_id == operation_id)
    path = operation.path.format(item_id=world.item_id, file_id=world.file_id, user_id=world.user_id, email=ALICE)
    return await client.request(operation.method.upper(), path, **_arguments(operation_id, world))


def _assert_unavailable(response: httpx.Response, elapsed: float, bound: float, what: str) -> None:
    assert response.status_code == 503, f"{what}: {response.status_code} {response.text}"
    assert response.headers["content-type"] == "application/problem+json", what
    assert response.headers["retry-after"] == str(RETRY_AFTER), what
    problem = response.json()
    assert problem["status"] == 503 and problem["type"] == "/problems/unavailable", what
    assert "Traceback" not in response.text and "asyncpg" not in response.text, what
    assert elapsed < bound, f"{what} took {elapsed:.2f} s (bound {bound} s)"


@contextlib.asynccontextmanager
async def _live_app(url: str, **overrides: object) -> AsyncIterator[FastAPI]:
    settings = make_settings(
        url,
        database_retry_after_seconds=RETRY_AFTER,
        database_connect_timeout_seconds=CONNECT_TIMEOUT,
        database_statement_timeout_seconds=STATEMENT_TIMEOUT,
        **overrides,
    )
    app = create_app(settings)
    try:
        yield app
    finally:
        await empty_and_close(app)


class Live(NamedTuple):
    """An app serving on the database, an anonymous client of it, and alice's world and token."""

    app: FastAPI
    client: httpx.AsyncClient
    world: World
    token: str


@contextlib.asynccontextmanager
async def _populated_app(url: str, **overrides: object) -> AsyncIterator[Live]:
    """`_live_app` with a client, and alice's world created while the database is up (the outage comes later)."""
    async with _live_app(url, **overrides) as app:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
            world, token = await _populate(client, app)
            yield Live(app, client, world, token)


async def _traffic(app: FastAPI, token: str, world: World, stop: asyncio.Event) -> list[tuple[int, float]]:
    """Reads and writes in a loop until `stop`: (status, seconds) of each."""
    seen: list[tuple[int, float]] = []
    async with authenticated_client(app, token) as alice:
        while not stop.is_set():
            for request in (
                alice.get(f"/items/{world.item_id}"),
                alice.post("/items", json={"name": "Bar", "price": 1}),
                alice.get("/users/me"),
            ):
                response, elapsed = await _timed(request)
                seen.append((response.status_code, elapsed))
            await asyncio.sleep(0.01)
    return seen


async def test_postgres_stopped_mid_traffic_answers_503_then_recovers_without_restart(
    cluster: PostgresCluster,
) -> None:
    async with _populated_app(cluster.url) as (app, client, world, token):
        # The account cache's clock stands still: her account, checked while the server is up, stays checked however
        # long a loaded machine takes over what follows (impl/security/account_cache.py).
        app.state.account_states.clock = lambda: 0.0
        holding, resume = asyncio.Event(), asyncio.Event()

        async def borrower() -> None:
            # A transaction open while the server goes away: its next statement must fail as unavailable.
            async with app.state.database.connect() as conn:
                await conn.execute(text("SELECT 1"))
                holding.set()
                await resume.wait()
                with pytest.raises(DatabaseUnavailable):
                    await conn.execute(text("SELECT 1"))

        stop = asyncio.Event()
        traffic = [asyncio.create_task(_traffic(app, token, world, stop)) for _ in range(3)]
        held = asyncio.create_task(borrower())
        await holding.wait()
        await asyncio.sleep(0.2)  # traffic flowing
        await asyncio.to_thread(cluster.stop)  # the loop keeps serving while the server shuts down
        await asyncio.sleep(0.2)
        resume.set()
        stop.set()
        async with asyncio.timeout(HANG_GUARD_SECONDS):
            await held
            observed = [entry for task in traffic for entry in await task]
        statuses = {status for status, _ in observed}
        assert statuses <= {200, 201, 503}, statuses
        assert {200, 201} <= statuses and 503 in statuses, statuses
        assert max(seconds for _, seconds in observed) < DOWN_BOUND_SECONDS

        # Every operation that needs the database, while the server is down.
        declared = _needing_database()
        async with authenticated_client(app, token) as alice:
            slowest = 0.0
            for operation_id in declared:
                response, elapsed = await _timed(_request(alice, operation_id, world))
                slowest = max(slowest, elapsed)
                if _beyond_alice(operation_id):
                    # Her account was checked a moment ago (impl/security/account_cache.py): the refusal needs no
                    # database, so she gets the answer she would get with one.
                    assert response.status_code == 403, f"{operation_id}: {response.status_code} {response.text}"
                    continue
                _assert_unavailable(response, elapsed, DOWN_BOUND_SECONDS, operation_id)
            print(f"\nPostgreSQL down: {len(declared)} operations answered 503, slowest in {slowest * 1000:.0f} ms")

            await asyncio.to_thread(cluster.start)
            ready, recovered = await _timed(client.get("/readyz"))
            assert ready.status_code == 200, ready.text
            print(f"PostgreSQL back: /readyz answered 200 {recovered * 1000:.0f} ms after the server started")
            # Every pooled connection the server closed is replaced, under concurrency too.
            answers = await asyncio.gather(
                *(alice.get(f"/items/{world.item_id}") for _ in range(12)),
                alice.post("/items", json={"name": "Baz", "price": 1}),
            )
            assert [r.status_code for r in answers] == [200] * 12 + [201]


async def test_postgres_crashed_and_restarted_while_idle_serves_the_next_requests_at_once(
    cluster: PostgresCluster,
) -> None:
    # No request saw the outage, so nothing invalidated the pool: its connections are dead, and the pre-ping at
    # checkout must replace them rather than hand them out.
    async with _populated_app(cluster.url) as (app, _, world, token), authenticated_client(app, token) as alice:
        await asyncio.gather(*(alice.get(f"/items/{world.item_id}") for _ in range(4)))  # 4 pooled
        await asyncio.to_thread(cluster.stop, "immediate")  # as a crash: no clean shutdown, recovery at start
        await asyncio.to_thread(cluster.start)
        async with asyncio.timeout(HANG_GUARD_SECONDS):
            answers = await asyncio.gather(*(alice.get(f"/items/{world.item_id}") for _ in range(4)))
        assert [r.status_code for r in answers] == [200] * 4, [r.text for r in answers]


@pytest.fixture(params=["sqlite", "postgres"])
def either_url(request: pytest.FixtureRequest) -> str:
    """A migrated database of each backend: an SQLite file, or the private cluster."""
    if request.param == "postgres":
        cluster: PostgresCluster = request.getfixturevalue("cluster")
        return cluster.url
    return f"sqlite+aiosqlite:///{request.getfixturevalue('sqlite_file')}"


async def test_integrity_errors_and_bugs_are_never_taken_for_an_outage(either_url: str) -> None:
    # SQLite reports a missing table as an OperationalError, like a locked file: only the error code tells them apart.
    async with _live_app(either_url) as app:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
            await sign_up(client, ALICE)
            again = await client.post("/users", json={"email": ALICE, "password": PASSWORD})
            assert again.status_code == 409, again.text  # a unique violation stays a conflict
        async with app.state.database.connect() as conn:
            with pytest.raises(DBAPIError):  # the driver's error, not DatabaseUnavailable: a bug is a 500
                await conn.execute(text("SELECT * FROM no_such_table"))
            await conn.rollback()
            with pytest.raises(IntegrityError):  # NOT NULL columns left out
                await conn.execute(text("INSERT INTO items (name, price) VALUES ('x', 1)"))


def test_every_operation_needing_the_database_declares_503() -> None:
    # Clients must be told that these may answer 503; `_arguments` fails on an operation nobody classified yet.
    world = World(1, "f", 1, "r")
    assert all(_arguments(operation_id, world) is not None for operation_id in _needing_database())
    assert set(_needing_database()) <= _declaring_503()


async def test_frozen_postgres_answers_503_within_the_timeouts_then_recovers(cluster: PostgresCluster) -> None:
    async with _populated_app(cluster.url, database_pool_timeout_seconds=1) as (app, client, world, token):
        cluster.freeze()
        try:
            async with authenticated_client(app, token) as alice:
                # The first pays for the pooled connection's pre-ping, the others for a connect attempt.
                for operation_id in ("getItem", "createItem", "readCurrentUser", "createUser"):
                    response, elapsed = await _timed(_request(alice, operation_id, world))
                    _assert_unavailable(response, elapsed, FROZEN_BOUND_SECONDS, operation_id)
                    print(f"\nfrozen PostgreSQL: {operation_id} answered 503 in {elapsed:.2f} s")
            ready, elapsed = await _timed(client.get("/readyz"))
            assert ready.status_code == 503 and elapsed < FROZEN_BOUND_SECONDS, ready.text
        finally:
            cluster.thaw()
        ready, elapsed = await _timed(client.get("/readyz"))
        assert ready.status_code == 200, ready.text  # the first probe after the thaw: no restart, no retry
        print(f"thawed: /readyz answered 200 in {elapsed * 1000:.0f} ms")
        assert (await client.get(f"/items/{world.item_id}")).status_code == 200


# --- SQLite ---------------------------------------------------------------------------------------------------


@contextlib.contextmanager
def _unprivileged() -> Iterator[None]:
    """Act as `nobody` for the block when we are root (root writes read-only files; a service account cannot)."""
    if os.geteuid() != 0:
        yield
        return
    nobody = pwd.getpwnam("nobody")
    os.setegid(nobody.pw_gid)
    os.seteuid(nobody.pw_uid)
    try:
        yield
    finally:
        os.seteuid(0)
        os.setegid(0)


@pytest.fixture
def sqlite_file() -> Iterator[Path]:
    """A migrated SQLite database in a directory any account may use (root's pytest tmp_path is private)."""
    directory = Path(tempfile.mkdtemp(prefix="contract-api-sqlite-"))
    directory.chmod(0o777)
    try:
        path = directory / "app.db"
        migrate(f"sqlite+aiosqlite:///{path}", "head")
        yield path
    finally:
        shutil.rmtree(directory, ignore_errors=True)


async def test_sqlite_read_only_file_refuses_writes_with_503_serves_reads_and_recovers(sqlite_file: Path) -> None:
    url = f"sqlite+aiosqlite:///{sqlite_file}"
    seeding = create_app(make_settings(url))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=seeding), base_url="http://t") as client:
        world, token = await _populate(client, seeding)
    await empty_and_close(seeding, empty=False)
    sqlite_file.chmod(0o444)
    # A process that opens the file now (a restart, a new worker) cannot write it.
    app = create_app(make_settings(url, database_retry_after_seconds=RETRY_AFTER))
    try:
        async with authenticated_client(app, token) as alice:
            with _unprivileged():
                assert (await alice.get(f"/items/{world.item_id}")).status_code == 200
                assert (await alice.get("/users/me")).status_code == 200
                for operation_id in ("createItem", "updateItem", "createUser", "updateCurrentUser"):
                    response, elapsed = await _timed(_request(alice, operation_id, world))
                    _assert_unavailable(response, elapsed, DOWN_BOUND_SECONDS, operation_id)
                # The checkpoint thread, too, tries while the file is read-only (a connection it kept open then
                # left the whole process unable to write after the fix, until a restart).
                checkpointer = app.state.database.checkpointer
                rounds = checkpointer.rounds
                async with asyncio.timeout(10):
                    while checkpointer.rounds < rounds + 2:
                        await asyncio.sleep(0.05)
                # A read last: the connection it opens can only read, and it is still open when the file is fixed.
                assert (await alice.get(f"/items/{world.item_id}")).status_code == 200
            for path in sqlite_file.parent.glob(f"{sqlite_file.name}*"):
                path.chmod(0o666)  # the fix: the file and its -wal and -shm (SQLite gave them the file's mode)
            with _unprivileged():
                # No restart: the connection that could only read is replaced by one that can write.
                created = await alice.post("/items", json={"name": "After", "price": 1})
                assert created.status_code == 201, created.text
    finally:
        await app.state.database.dispose()


@pytest.mark.parametrize("lock", ["IMMEDIATE", "EXCLUSIVE"])
async def test_sqlite_locked_by_another_process_answers_503_within_the_busy_timeout_then_recovers(
    sqlite_file: Path, lock: str
) -> None:
    busy_timeout_ms = 300
    url = f"sqlite+aiosqlite:///{sqlite_file}"
    async with _populated_app(url, sqlite_busy_timeout_ms=busy_timeout_ms) as (app, _, world, token):
        locker = sqlite3.connect(sqlite_file, isolation_level=None)
        try:
            locker.execute(f"BEGIN {lock}")
            locker.execute("UPDATE items SET name = name")  # holds the write lock, as a long batch job would
            async with authenticated_client(app, token) as alice:
                for operation_id in ("createItem", "updateItem", "updateCurrentUser"):
                    response, elapsed = await _timed(_request(alice, operation_id, world))
                    _assert_unavailable(response, elapsed, busy_timeout_ms / 1000 + 1.0, f"{operation_id} ({lock})")
                    # The wait is SQLITE_BUSY_TIMEOUT_MS: long enough for a short write elsewhere, no longer.
                    assert elapsed >= busy_timeout_ms / 1000 * 0.9, elapsed
                print(f"\nSQLite locked ({lock}): 503 after {elapsed * 1000:.0f} ms, busy timeout {busy_timeout_ms} ms")
                # WAL: readers go on beside the writer (authentication included).
                assert (await alice.get(f"/items/{world.item_id}")).status_code == 200
                assert (await alice.get("/users/me")).status_code == 200
                locker.execute("ROLLBACK")
                created = await alice.post("/items", json={"name": "After", "price": 1})
                assert created.status_code == 201, created.text
        finally:
            locker.close()
