"""A file database's WAL is checkpointed by a thread of its own, never inside a request's commit."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import threading
from pathlib import Path

import pytest
from sqlalchemy import text

from impl.db import InlineSqliteDatabase, open_database
from impl.sqlite_checkpoints import FALLBACK_PAGES, WalCheckpointer

WAIT_SECONDS = 10  # generous: the thread checkpoints every 0.2 s


def _checkpoint_threads() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name.startswith("sqlite-checkpoints:")]


async def _next_checkpoint(checkpointer: WalCheckpointer) -> tuple[int, int, int]:
    """The result of the checkpoint that ends next."""
    checkpointer.last_result = None
    async with asyncio.timeout(WAIT_SECONDS):
        while checkpointer.last_result is None:
            await asyncio.sleep(0.02)
    return checkpointer.last_result


async def _write_rows(database: InlineSqliteDatabase, count: int) -> None:
    async with database.connect() as conn:
        await conn.execute(text("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, payload TEXT NOT NULL)"))
        await conn.commit()
    for n in range(count):
        async with database.connect() as conn:
            await conn.execute(text("INSERT INTO t (payload) VALUES (:p)"), {"p": f"{n:04d}" * 256})
            await conn.commit()


async def test_commits_leave_the_wal_to_the_thread_which_checkpoints_it(tmp_path: Path) -> None:
    database = open_database(f"sqlite+aiosqlite:///{tmp_path / 'app.db'}")
    assert isinstance(database, InlineSqliteDatabase) and database.checkpointer is not None
    try:
        async with database.connect() as conn:
            (pages,) = (await conn.execute(text("PRAGMA wal_autocheckpoint"))).one()
        assert pages == FALLBACK_PAGES  # a commit checkpoints only if the thread stalls this far behind
        await _write_rows(database, 200)  # 1 KiB rows: the WAL grows by a few dozen pages
        checkpointer = database.checkpointer
        # The second checkpoint from now started after the last write (the first may have been under way).
        await _next_checkpoint(checkpointer)
        busy, frames, done = await _next_checkpoint(checkpointer)
        assert busy == 0 and frames > 0 and done == frames
        # What the thread checkpointed is in the database file itself: readable with the WAL ignored.
        with sqlite3.connect(f"file:{tmp_path / 'app.db'}?immutable=1", uri=True) as raw:
            assert raw.execute("SELECT count(*) FROM t").fetchone() == (200,)
    finally:
        await database.dispose()


async def test_dispose_stops_the_thread_and_memory_databases_have_none(tmp_path: Path) -> None:
    before = set(_checkpoint_threads())
    database = open_database(f"sqlite+aiosqlite:///{tmp_path / 'app.db'}")
    assert isinstance(database, InlineSqliteDatabase)
    await _write_rows(database, 1)
    started = set(_checkpoint_threads()) - before
    assert len(started) == 1
    await database.dispose()
    assert not any(thread.is_alive() for thread in started)

    memory = open_database("sqlite+aiosqlite:///:memory:")
    assert isinstance(memory, InlineSqliteDatabase) and memory.checkpointer is None
    await _write_rows(memory, 1)
    assert set(_checkpoint_threads()) - before == set()
    await memory.dispose()


def test_a_failing_checkpoint_is_logged_once_and_retried(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "app.db"
    path.write_bytes(b"not a database" * 100)  # every checkpoint fails: "file is not a database"
    checkpointer = WalCheckpointer(str(path), busy_timeout_ms=0, interval=0.01)
    with caplog.at_level(logging.WARNING, logger="impl.sqlite_checkpoints"):
        checkpointer.start()
        try:
            threading.Event().wait(0.3)  # ~30 failed attempts
            assert checkpointer.running
        finally:
            checkpointer.stop()
    assert not checkpointer.running
    failing = [r for r in caplog.records if "are failing" in r.getMessage()]
    assert len(failing) == 1
