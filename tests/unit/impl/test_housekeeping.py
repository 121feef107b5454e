"""The housekeeping sweep without HTTP: what it deletes and keeps (to the second), batches, the one-sweeper lock,
the background task, and table sizes over a long run; on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import datetime as dt
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event, select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from impl.db import Database, open_database
from impl.housekeeping import LOCK_KEY, Housekeeper, SweepReport
from impl.metrics import AppMetrics
from impl.settings import Settings
from impl.tables import idempotency_keys_table as _keys
from impl.tables import notification_outbox_table as _outbox
from impl.tables import refresh_tokens_table as _refresh
from impl.tables import sessions_table as _sessions
from tests.databases import connect, make_settings, migrate
from tests.unit.impl.housekeeping_rows import NOW, Seed, ago, database
from tests.unit.impl.housekeeping_rows import empty as _empty
from tests.unit.impl.housekeeping_rows import rows_in as _count
from tests.unit.impl.housekeeping_rows import values_of as _column

# `database` is the fixture both housekeeping modules share (housekeeping_rows.py), imported for pytest to find.
__all__ = ["database"]

# The retention the cases below are written against.
TTLS = {
    "idempotency_key_ttl_seconds": 3600,
    "outbox_retention_seconds": 7200,
    "access_token_ttl_seconds": 900,
    "session_ttl_seconds": 8 * 3600,
    "jwt_leeway_seconds": 10,
    "housekeeping_grace_seconds": 600,
}
GRACE = 600
LOGIN_HORIZON = 8 * 3600 + 10 + GRACE  # the longest login access token (the cookie session's), leeway, grace
ROTATION_HORIZON = 900 + 10 + GRACE  # the access token minted with a refresh token, leeway, grace


def _settings(database_url: str, **overrides: Any) -> Settings:
    return make_settings(database_url, **{**TTLS, **overrides})


def _sweeper(database: Database, settings: Settings, clock: Callable[[], dt.datetime] = lambda: NOW) -> Housekeeper:
    return Housekeeper(database, settings, clock=clock)


async def test_idempotency_keys_go_strictly_after_their_ttl(database: Database, settings: Settings) -> None:
    ttl = TTLS["idempotency_key_ttl_seconds"]
    _expired, at_the_edge, young, new = await Seed(database).keys(ago(ttl + 1), ago(ttl), ago(ttl - 1), NOW)
    report = await _sweeper(database, _settings(settings.database_url)).sweep_once()
    assert await _column(database, _keys.c.key) == {at_the_edge, young, new}
    assert report.deleted["idempotency_keys"] == 1 and not report.yielded


async def test_finished_outbox_rows_go_after_the_retention_undelivered_ones_never(
    database: Database, settings: Settings
) -> None:
    keep = TTLS["outbox_retention_seconds"]
    seed = Seed(database)
    (delivered_long_ago,) = await seed.outbox("delivered", finished=ago(keep + 1), delivered=True)
    (delivered_lately,) = await seed.outbox("delivered", finished=ago(keep - 1), delivered=True)
    (failed_long_ago,) = await seed.outbox("failed", finished=ago(keep + 1))
    (failed_lately,) = await seed.outbox("failed", finished=ago(keep - 1))
    # Accepted years ago and still not delivered (a long outage, a dead worker's lease): it must still be sent.
    (pending,) = await seed.outbox("pending", finished=ago(10 * 365 * 86400))
    report = await _sweeper(database, _settings(settings.database_url)).sweep_once()
    assert await _column(database, _outbox.c.id) == {delivered_lately, failed_lately, pending}
    assert {delivered_long_ago, failed_long_ago}.isdisjoint(await _column(database, _outbox.c.id))
    assert report.deleted["notification_outbox"] == 2


async def test_a_session_and_its_tokens_go_once_nothing_of_them_can_be_used(
    database: Database, settings: Settings
) -> None:
    seed = Seed(database)
    user = await seed.user()
    month, fortnight = 30 * 86400, 14 * 86400
    old, later = ago(month), NOW + dt.timedelta(days=14)
    # (issued, expires) of a token spent a month ago: the first of a family rotated since.
    spent = (old, ago(month - fortnight))
    cases: dict[str, tuple[dict[str, Any], bool]] = {
        # A cookie session has no refresh token: its access token (SESSION_TTL) is all there is.
        "cookie, token expired": ({"created": ago(LOGIN_HORIZON + 1)}, False),
        "cookie, token still valid": ({"created": ago(LOGIN_HORIZON - 1)}, True),
        # The newest token decides: the spent ones stay with it, so presenting one still revokes the family.
        "family, newest expired": ({"created": old, "tokens": [spent, (ago(fortnight), ago(GRACE + 1))]}, False),
        "family, newest in grace": ({"created": old, "tokens": [spent, (ago(fortnight), ago(GRACE - 1))]}, True),
        "family, newest valid": ({"created": old, "tokens": [spent, (ago(60), later)]}, True),
        # An access token minted with the last rotation may outlive the refresh token (REFRESH_TTL < ACCESS_TTL).
        "rotation's token valid": ({"created": old, "tokens": [(ago(ROTATION_HORIZON - 1), old)]}, True),
        "rotation's token expired": ({"created": old, "tokens": [(ago(ROTATION_HORIZON + 1), old)]}, False),
        "revoked, nothing usable": ({"created": old, "tokens": [spent], "revoked": old}, False),
        # Revoked with a token not yet expired: the revocation is what refuses that token, so it stays.
        "revoked, token unexpired": ({"created": old, "tokens": [(ago(60), later)], "revoked": ago(30)}, True),
    }
    ids = {name: (await seed.session(user, **spec))[0] for name, (spec, _) in cases.items()}
    tokens_before = await _tokens_by_session(database)
    report = await _sweeper(database, _settings(settings.database_url)).sweep_once()
    kept = {name for name, session_id in ids.items() if session_id in await _column(database, _sessions.c.id)}
    assert kept == {name for name, (_, alive) in cases.items() if alive}
    # A kept session keeps every token, spent ones included; a deleted one leaves none behind.
    kept_ids = {ids[name] for name in kept}
    assert await _tokens_by_session(database) == {id_: tokens_before[id_] for id_ in kept_ids & set(tokens_before)}
    assert report.deleted["sessions"] == len(cases) - len(kept)
    assert report.deleted["refresh_tokens"] == sum(
        len(tokens) for id_, tokens in tokens_before.items() if id_ not in kept_ids
    )


async def _tokens_by_session(database: Database) -> dict[str, set[str]]:
    async with database.connect() as conn:
        rows = (await conn.execute(select(_refresh.c.session_id, _refresh.c.token_hash))).all()
    grouped: dict[str, set[str]] = {}
    for row in rows:
        grouped.setdefault(row.session_id, set()).add(row.token_hash)
    return grouped


def _sync_engine(database: Database) -> Engine:
    engine = database.engine  # type: ignore[attr-defined]  # both implementations expose theirs
    return engine.sync_engine if isinstance(engine, AsyncEngine) else engine


@pytest.fixture
def deletes(database: Database) -> Iterator[list[int]]:
    """The row count of every DELETE the database runs while the test does."""
    counts: list[int] = []

    def record(conn: Any, clause: Any, multiparams: Any, params: Any, options: Any, result: Any) -> None:
        if getattr(clause, "is_delete", False):
            counts.append(result.rowcount)

    engine = _sync_engine(database)
    event.listen(engine, "after_execute", record)
    yield counts
    event.remove(engine, "after_execute", record)


async def test_a_backlog_goes_in_bounded_batches(database: Database, settings: Settings, deletes: list[int]) -> None:
    seed = Seed(database)
    user = await seed.user()
    await seed.keys(*[ago(86400)] * 10)
    await seed.outbox("delivered", finished=ago(86400), delivered=True, count=10)
    # A long-lived family leaves many spent tokens: they go a batch at a time too, then the session.
    dead = await seed.session(user, created=ago(86400 * 60), tokens=[(ago(86400 * 59), ago(86400 * 30))] * 7, count=4)
    (alive,) = await seed.session(user, created=ago(86400 * 60), tokens=[(ago(60), NOW + dt.timedelta(days=1))] * 5)
    report = await _sweeper(database, _settings(settings.database_url, housekeeping_batch_size=3)).sweep_once()
    assert report.deleted == {"idempotency_keys": 10, "notification_outbox": 10, "refresh_tokens": 28, "sessions": 4}
    assert deletes and max(deletes) <= 3, deletes
    assert len(deletes) >= 4 + 4 + 28 // 3  # many transactions, none of them large
    assert await _count(database, _keys) == 0 and await _count(database, _outbox) == 0
    assert await _column(database, _sessions.c.id) == {alive} and await _count(database, _refresh) == 5
    assert set(dead).isdisjoint(await _column(database, _refresh.c.session_id))


async def test_tables_stay_bounded_over_a_long_run(database: Database, settings: Settings) -> None:
    """Every half minute of simulated time: 100 keyed requests, 100 delivered notifications, 50 logins each
    refreshed once; then a sweep. Each table levels off at what its retention keeps, and stays there."""
    short = {
        "idempotency_key_ttl_seconds": 60,
        "outbox_retention_seconds": 60,
        "access_token_ttl_seconds": 30,
        "session_ttl_seconds": 60,
        "refresh_token_ttl_seconds": 120,
        "jwt_leeway_seconds": 0,
        "housekeeping_grace_seconds": 0,
    }
    step, per_round, rounds = 30, 100, 16
    clock = {"now": NOW}
    housekeeper = _sweeper(database, make_settings(settings.database_url, **short), lambda: clock["now"])
    seed = Seed(database)
    user = await seed.user()
    sizes: list[dict[str, int]] = []
    created = 0
    for number in range(rounds):
        now = clock["now"] = NOW + dt.timedelta(seconds=step * number)
        await seed.keys(*[now] * per_round)
        await seed.outbox("delivered", finished=now, delivered=True, count=per_round)
        await seed.session(user, created=now, tokens=[(now, now + dt.timedelta(seconds=120))] * 2, count=per_round // 2)
        created += per_round * 3 + per_round // 2
        await housekeeper.sweep_once()
        sizes.append({name: await _count(database, table) for name, table in _TABLES.items()})
    # Alive after a sweep: rows of the rounds within the retention (60 s: this round and the two before; a family
    # while its newest token is unexpired, 120 s: this round and the four before).
    plateau = {"keys": 3 * per_round, "outbox": 3 * per_round, "sessions": 5 * per_round // 2, "tokens": 5 * per_round}
    assert all(size[name] <= plateau[name] for size in sizes for name in plateau), sizes
    assert sizes[-1] == sizes[-4] == plateau, sizes
    assert created == rounds * 350 and sum(sizes[-1].values()) < created / 4


_TABLES = {"keys": _keys, "outbox": _outbox, "sessions": _sessions, "tokens": _refresh}


async def test_the_background_task_sweeps_every_interval_and_stops_promptly(
    database: Database, settings: Settings
) -> None:
    metrics = AppMetrics()
    housekeeper = Housekeeper(
        database, _settings(settings.database_url, housekeeping_interval_seconds=0.05), metrics=metrics
    )
    seed = Seed(database)
    housekeeper.start()
    try:
        for _ in range(3):  # each key is swept by a later round of the running task
            (key,) = await seed.keys(dt.datetime.now(dt.UTC) - dt.timedelta(hours=2))
            await _wait_until_gone(database, key)
    finally:
        started = time.monotonic()
        await housekeeper.aclose()
        stopped_in = time.monotonic() - started
    assert stopped_in < 1.0
    assert not [task for task in asyncio.all_tasks() if task.get_name() == "housekeeping"]
    assert _sample(metrics, "housekeeping_deleted_rows_total", table="idempotency_keys") == 3
    assert _sample(metrics, "housekeeping_rounds_total", outcome="swept") >= 3
    # Stopped: nothing is swept any more.
    (key,) = await seed.keys(dt.datetime.now(dt.UTC) - dt.timedelta(hours=2))
    await asyncio.sleep(0.3)
    assert key in await _column(database, _keys.c.key)


async def test_aclose_waits_for_nothing_when_the_next_round_is_far(database: Database, settings: Settings) -> None:
    housekeeper = Housekeeper(database, _settings(settings.database_url, housekeeping_interval_seconds=3600))
    housekeeper.start()
    await asyncio.sleep(0)
    started = time.monotonic()
    await housekeeper.aclose()
    assert time.monotonic() - started < 0.5


async def _wait_until_gone(database: Database, key: str, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while key in await _column(database, _keys.c.key):
        assert time.monotonic() < deadline, "the background sweep did not run in time"
        await asyncio.sleep(0.02)


def _sample(metrics: AppMetrics, name: str, **labels: str) -> float:
    value = metrics.registry.get_sample_value(name, labels)
    assert value is not None, f"{name}{labels} not exposed"
    return value


# --- one sweeper at a time -----------------------------------------------------------------------------------------


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path / 'housekeeping.db'}"
    migrate(url, "head")
    return url


async def test_postgres_a_held_lock_makes_the_round_yield(postgres_database_url: str) -> None:
    settings = _settings(postgres_database_url)
    database = open_database(postgres_database_url)
    try:
        await Seed(database).keys(*[ago(86400)] * 5)
        holder = await connect(postgres_database_url)
        try:
            async with holder.transaction():
                assert await holder.fetchval("SELECT pg_try_advisory_xact_lock($1)", LOCK_KEY)
                report = await _sweeper(database, settings).sweep_once()
                assert report.yielded and sum(report.deleted.values()) == 0
                assert await _count(database, _keys) == 5
        finally:
            await holder.close()
        report = await _sweeper(database, settings).sweep_once()
        assert not report.yielded and report.deleted["idempotency_keys"] == 5
    finally:
        await _empty(database)
        await database.dispose()


async def test_sqlite_a_held_write_lock_makes_the_round_yield_not_fail(sqlite_url: str) -> None:
    database = open_database(sqlite_url)
    try:
        await Seed(database).keys(*[ago(86400)] * 5)
        holder = sqlite3.connect(make_url(sqlite_url).database or "", isolation_level=None)
        try:
            holder.execute("BEGIN IMMEDIATE")
            report = await _sweeper(database, _settings(sqlite_url)).sweep_once()
            assert report.yielded and sum(report.deleted.values()) == 0
        finally:
            holder.rollback()
            holder.close()
        report = await _sweeper(database, _settings(sqlite_url)).sweep_once()
        assert report.deleted["idempotency_keys"] == 5
    finally:
        await database.dispose()


class _HoldingFirstBatch(Housekeeper):
    """A sweeper that, having won a batch's lock, holds it until every sweeper of the race has asked for it: the
    race below is then decided by the lock alone, not by which thread the machine happened to run first."""

    def __init__(self, *args: Any, asked: list[bool], racers: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._asked = asked
        self._racers = racers

    async def _exclusive(self, conn: Any) -> bool:
        got = await super()._exclusive(conn)
        self._asked.append(got)
        deadline = time.monotonic() + 5
        while got and len(self._asked) < self._racers and time.monotonic() < deadline:
            await asyncio.sleep(0.005)
        return got


async def test_postgres_two_racing_sweepers_one_sweeps_the_other_yields(postgres_database_url: str) -> None:
    # Two engines (as two instances have), each connection warmed up, released together by a barrier.
    settings = _settings(postgres_database_url, housekeeping_batch_size=50)
    databases = [open_database(postgres_database_url) for _ in range(2)]
    barrier = asyncio.Barrier(2)

    async def sweep(database: Database, asked: list[bool]) -> SweepReport:
        async with database.connect() as conn:
            await conn.execute(select(1))
        await barrier.wait()
        return await _HoldingFirstBatch(database, settings, clock=lambda: NOW, asked=asked, racers=2).sweep_once()

    try:
        for _ in range(5):
            await Seed(databases[0]).keys(*[ago(86400)] * 400)
            asked: list[bool] = []
            reports = await asyncio.gather(*(sweep(database, asked) for database in databases))
            assert sorted(asked[:2]) == [False, True]  # both asked at once: one got the lock
            assert sorted(report.yielded for report in reports) == [False, True], reports
            (winner,) = [report for report in reports if not report.yielded]
            (loser,) = [report for report in reports if report.yielded]
            assert winner.deleted["idempotency_keys"] == 400 and sum(loser.deleted.values()) == 0
            assert await _count(databases[0], _keys) == 0
    finally:
        await _empty(databases[0])
        for database in databases:
            await database.dispose()


def _threads(url: str, settings: Settings, sweepers: int = 2) -> list[SweepReport]:
    """Sweepers in threads of their own (own event loop, own engine, connection warmed up), released together."""
    barrier = threading.Barrier(sweepers)
    reports: list[SweepReport] = []
    errors: list[BaseException] = []

    async def sweep() -> None:
        database = open_database(url)
        try:
            async with database.connect() as conn:  # connected before the start: only the sweep itself races
                await conn.execute(select(1))
            barrier.wait(timeout=10)
            reports.append(await _sweeper(database, settings).sweep_once())
        finally:
            await database.dispose()

    def run() -> None:
        try:
            asyncio.run(sweep())
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(sweepers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    return reports


@pytest.fixture(params=["sqlite", "postgres"])
def own_url(request: pytest.FixtureRequest) -> str:
    """A database of the test's own on each backend."""
    name = "postgres_database_url" if request.param == "postgres" else "sqlite_url"
    url: str = request.getfixturevalue(name)
    return url


async def test_concurrent_sweepers_in_threads_delete_each_row_once(own_url: str) -> None:
    # Truly concurrent (threads, as worker processes are): a sweeper starting between two of the other's batches
    # may take over and the other then yields; either way batches never overlap, no row is deleted twice, none
    # is left, and nothing fails (on SQLite they take turns on the file's write lock).
    url = own_url
    settings = _settings(url, housekeeping_batch_size=50)
    database = open_database(url)
    try:
        for _ in range(3):
            await Seed(database).keys(*[ago(86400)] * 400)
            reports = await asyncio.to_thread(_threads, url, settings)
            assert sum(report.deleted["idempotency_keys"] for report in reports) == 400, reports
            assert await _count(database, _keys) == 0
    finally:
        await _empty(database)
        await database.dispose()
