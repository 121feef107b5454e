"""Shared fixtures: one migrated database per backend per run, a fresh app and HTTP client per test."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from impl.app import create_app
from impl.settings import Settings
from tests import scheduling
from tests.caches import share_bytecode_cache
from tests.databases import (
    empty_and_close,
    fresh_postgres_database,
    make_settings,
    migrate,
    require_postgres,
    storage_root,
)
from tests.redis_server import RedisProcess
from tests.users import (
    ADMIN,
    ALICE,
    BOB,
    authenticated_client,
    get_token,
    grant_admin,
    sign_up,
    sign_up_and_get_token,
)

BACKENDS = ["sqlite", "postgres"]


_RUN_RESOURCES = ExitStack()


_MODULE_SECONDS = pytest.StashKey[dict[str, float]]()
_MODULE_TIMER = pytest.StashKey[scheduling.ModuleTimer]()


def pytest_configure(config: pytest.Config) -> None:
    """Before the xdist workers start: they and every subprocess share one bytecode cache (tests/caches.py), and keep
    uploads under one directory that the run removes at its end (the workers inherit it). The modules' durations
    of the last run order this one's (tests/scheduling.py): read here, handed to the workers."""
    share_bytecode_cache()
    workerinput = getattr(config, "workerinput", None)
    if workerinput is not None:
        config.stash[_MODULE_SECONDS] = workerinput[scheduling.WORKER_INPUT]
        return
    _RUN_RESOURCES.enter_context(storage_root())
    config.stash[_MODULE_SECONDS] = scheduling.load()
    timer = config.stash[_MODULE_TIMER] = scheduling.ModuleTimer()
    config.pluginmanager.register(timer)


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """pytest-xdist's hook, in the process that starts the workers (`node`: its untyped WorkerController)."""
    node.workerinput[scheduling.WORKER_INPUT] = node.config.stash[_MODULE_SECONDS]


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    scheduling.longest_first(items, config.stash[_MODULE_SECONDS])


def pytest_sessionfinish(session: pytest.Session) -> None:
    timer = session.config.stash.get(_MODULE_TIMER, None)
    if timer is not None and timer.seconds:
        scheduling.save(dict(timer.seconds))


def pytest_unconfigure(config: pytest.Config) -> None:
    """The run's storage directory goes, whatever its processes left in it."""
    _RUN_RESOURCES.close()


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A new database migrated to head, once per backend per session (per xdist worker), dropped afterwards.

    Each session's own database, never a shared one: two runs on one server must not see each other's rows.
    """
    with ExitStack() as stack:
        if request.param == "postgres":
            require_postgres()
            url = stack.enter_context(fresh_postgres_database())
        else:
            url = f"sqlite+aiosqlite:///{Path(tmp_path_factory.mktemp('db')) / 'test.db'}"
        # Alembic's env runs its own event loop: keep it off the test loop's thread.
        migrate(url, "head")
        yield url


@pytest.fixture(scope="module")
def postgres_database_url() -> Iterator[str]:
    """A PostgreSQL database of the test module's own, migrated to head before anything uses it (servers the module
    starts on it, say), dropped afterwards."""
    require_postgres()
    with fresh_postgres_database() as url:
        migrate(url, "head")
        yield url


@pytest.fixture
def settings(database_url: str) -> Settings:
    """Test settings on the current backend."""
    return make_settings(database_url)


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    """A fresh app; its tables are emptied afterwards so tests never see each other's rows."""
    application = create_app(settings)
    yield application
    await empty_and_close(application)


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """An anonymous HTTP client talking to the app in-process."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


@pytest.fixture
async def alice(app: FastAPI, client: httpx.AsyncClient) -> AsyncIterator[httpx.AsyncClient]:
    """A client signed in (bearer token) as alice@example.com, a regular user."""
    async with authenticated_client(app, await sign_up_and_get_token(client, ALICE)) as http:
        yield http


@pytest.fixture
async def bob(app: FastAPI, client: httpx.AsyncClient) -> AsyncIterator[httpx.AsyncClient]:
    """A second regular user, bob@example.com."""
    async with authenticated_client(app, await sign_up_and_get_token(client, BOB)) as http:
        yield http


@pytest.fixture
async def admin(app: FastAPI, client: httpx.AsyncClient) -> AsyncIterator[httpx.AsyncClient]:
    """An administrator (users:admin granted directly in the database, as an operator would)."""
    await sign_up(client, ADMIN)
    await grant_admin(app, ADMIN)
    async with authenticated_client(app, await get_token(client, ADMIN)) as http:
        yield http


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[RedisProcess]:
    """A redis-server of this test's own on a free port (stop/start/freeze it to inject an outage)."""
    server = RedisProcess(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()
