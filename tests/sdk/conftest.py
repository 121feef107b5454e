"""The generated clients of `make sdk` against the real server: one uvicorn process per test module."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest

from tests.databases import REPO_ROOT, migrate
from tests.processes import uvicorn_server

# The Python client is a package of its own (clients/python, `pip install ./clients/python`); the tests import it
# from the working tree, so they exercise exactly what `make sdk` generated. mypy finds it through `mypy_path`.
PYTHON_CLIENT = REPO_ROOT / "clients" / "python"
if str(PYTHON_CLIENT) not in sys.path:
    sys.path.insert(0, str(PYTHON_CLIENT))


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`uvicorn impl.app:app` on a free 127.0.0.1 port, over a freshly migrated SQLite database."""
    directory = tmp_path_factory.mktemp("sdk")
    database_url = f"sqlite+aiosqlite:///{directory / 'app.db'}"
    migrate(database_url, "head")
    env = {
        "DATABASE_URL": database_url,
        "ENVIRONMENT": "test",
        "STORAGE_DIR": str(directory / "storage"),
        # The cheapest hashing the settings allow: the journeys sign up and log in, they do not measure argon2.
        "ARGON2_TIME_COST": "1",
    }
    with uvicorn_server(env, log=directory / "server.log") as url:
        yield url
