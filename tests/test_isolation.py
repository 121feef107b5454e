"""Concurrent test runs on one PostgreSQL server never share a database, and nothing a run makes outlives it."""

from __future__ import annotations

import asyncio
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from tests.databases import (
    POSTGRES_SERVER_URL,
    REPO_ROOT,
    RUN_DATABASE_NAME,
    STORAGE_ROOT_VARIABLE,
    connect,
    fresh_postgres_database,
    require_postgres,
    storage_root,
)


def _server_database_names() -> set[str]:
    async def read() -> set[str]:
        conn = await connect(POSTGRES_SERVER_URL)
        try:
            return {row["datname"] for row in await conn.fetch("SELECT datname FROM pg_database")}
        finally:
            await conn.close()

    return asyncio.run(read())


async def test_the_session_database_belongs_to_this_run(
    database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        assert url.database is not None
        assert Path(url.database).is_relative_to(tmp_path_factory.getbasetemp())
        return
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as conn:
            name = (await conn.execute(text("SELECT current_database()"))).scalar_one()
    finally:
        await engine.dispose()
    assert name != make_url(POSTGRES_SERVER_URL).database
    assert RUN_DATABASE_NAME.fullmatch(name)
    assert name.startswith(f"test_{os.getpid()}_")


def test_a_fresh_database_is_dropped_when_its_block_ends_even_with_connections_open() -> None:
    require_postgres()
    loop = asyncio.new_event_loop()
    try:
        with fresh_postgres_database() as url:
            name = make_url(url).database
            assert name in _server_database_names()
            # Left open on purpose, as a live server thread's pool would leave it.
            leftover = loop.run_until_complete(connect(url))
        assert name not in _server_database_names()
        leftover.terminate()
        loop.run_until_complete(asyncio.sleep(0))  # lets the aborted transport close
    finally:
        loop.close()


def test_a_killed_runs_database_is_dropped_by_the_next_run_and_a_live_runs_is_kept() -> None:
    require_postgres()
    # Created without the in-use lock: what a run killed before its teardown leaves behind.
    abandoned = f"test_0_{secrets.token_hex(4)}"

    async def create_abandoned() -> None:
        conn = await connect(POSTGRES_SERVER_URL)
        try:
            await conn.execute(f'CREATE DATABASE "{abandoned}" TEMPLATE template0')
        finally:
            await conn.close()

    with fresh_postgres_database() as live_url:
        asyncio.run(create_abandoned())
        assert abandoned in _server_database_names()
        with fresh_postgres_database():
            names = _server_database_names()
        assert abandoned not in names
        assert make_url(live_url).database in names


_MAKE_STORAGE_THEN_DIE = "import os, tests.databases as d; print(d.TEST_STORAGE_DIR, flush=True); os._exit(9)"


def test_a_killed_process_of_a_run_leaves_no_storage_directory_behind(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(STORAGE_ROOT_VARIABLE, raising=False)
    with storage_root():
        root = Path(os.environ[STORAGE_ROOT_VARIABLE])
        # A process of the run makes its storage directory on import, then dies without running its exit handlers.
        made = subprocess.run(
            [sys.executable, "-c", _MAKE_STORAGE_THEN_DIE],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )
        assert made.returncode == 9, made.stderr
        left = Path(made.stdout.strip())
        assert left.parent == root and left.is_dir()
    assert not root.exists()
    assert STORAGE_ROOT_VARIABLE not in os.environ
