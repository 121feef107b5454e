"""Shared fixtures: one migrated database per backend, a fresh app and HTTP client per test."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import delete

from impl.app import create_app
from impl.settings import Settings
from impl.tables import Base
from tests.databases import POSTGRES_URL, migrate, require_postgres

BACKENDS = ["sqlite", "postgres"]


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database migrated to head, once per backend per session; dropped afterwards."""
    if request.param == "postgres":
        require_postgres()
        url = POSTGRES_URL
    else:
        url = f"sqlite+aiosqlite:///{Path(tmp_path_factory.mktemp('db')) / 'test.db'}"
    # Alembic's env runs its own event loop: keep it off the test loop's thread.
    migrate(url, "base")
    migrate(url, "head")
    yield url
    migrate(url, "base")


@pytest.fixture
def settings(database_url: str) -> Settings:
    """Test settings on the current backend."""
    return Settings(database_url=database_url, environment="test", log_json=False, max_body_bytes=64 * 1024)


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    """A fresh app; its tables are emptied afterwards so tests never see each other's rows."""
    application = create_app(settings)
    yield application
    async with application.state.database.connect() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            await conn.execute(delete(table))
        await conn.commit()
    await application.state.database.dispose()


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client talking to the app in-process."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http
