"""What the fuzzing modules share: the contract narrowed to what the binding implements, the fuzzer's credentials, and
a live server per backend on a database of the module's own.

Every one of Schemathesis' checks runs; `schemathesis.toml` lists, per operation and with the reason, the statuses
the contract legitimately answers to valid input. Which operations are fuzzed comes from the binding
(`implemented_operations` of the app's `Services`), never from a hand-kept list. Each run must prove it did real work:
test_fuzz_contract.py that every implemented operation no response links to answered 2xx on each backend,
test_fuzz_links.py that every implemented link target did, by following links. The two modules run in parallel.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack
from functools import cache
from typing import Any

import hypothesis
import pytest
import requests
import schemathesis
from fastapi import FastAPI
from schemathesis import Case, GenerationMode
from schemathesis.config import SchemathesisConfig
from schemathesis.core.failures import Failure
from schemathesis.transport.requests import ManagedCookiesSession
from sqlalchemy.ext.asyncio import create_async_engine

from generated import OPERATIONS, implemented_operations
from impl.app import create_app
from impl.security.account_cache import AccountStates
from impl.security.authenticator import CSRF_HEADER, SESSION_COOKIE
from scripts.fuzz_filters import contract_false_positive
from scripts.fuzz_seed import (
    FUZZER_CSRF,
    fuzzer_token,
    password_hash,
    reopen_fuzzer_session,
    reset,
    seed_users,
)
from tests.contract.contract import contract
from tests.contract.live_server import serve
from tests.databases import REPO_ROOT, make_settings, migrate

BACKENDS = ("sqlite", "postgres")
# Random cases per operation and mode, on top of Schemathesis' deterministic examples and coverage phases.
FUZZ_EXAMPLES = 40
# Scenarios of up to 8 linked calls per tag.
STATEFUL_EXAMPLES = 40
# Derandomized: the same cases on every run, so a failure in CI reproduces locally (`make fuzz`-style random runs
# belong to a longer, separate job).
HYPOTHESIS: dict[str, Any] = {
    "derandomize": True,
    "deadline": None,
    "suppress_health_check": list(hypothesis.HealthCheck),
    "database": None,
}

# From the binding: what the app implements (the rest answers 501 on purpose and is covered elsewhere).
IMPLEMENTED = implemented_operations(create_app(make_settings("sqlite+aiosqlite://")).state.services)
IMPLEMENTED_IDS = sorted(op.operation_id for op in IMPLEMENTED)


# Schemathesis applies auth while it builds cases, partly at collection time, before any fixture runs: the
# token is therefore minted now, for an administrator account the `live_urls` fixture creates with this id.
FUZZER_TOKEN = fuzzer_token(make_settings("sqlite+aiosqlite://"))


class _FuzzSession:
    """Every generated request carries an administrator's session cookie (and its CSRF header).

    The cookie scheme, not the bearer header: `ignored_auth` only knows how to strip apiKey/http credentials
    (Schemathesis skips oauth2 schemes), so with a bearer token its "no credentials" probe would still carry
    one. Bearer authentication of every operation is covered by tests/e2e/test_auth_required.py.
    """

    def get(self, case: Case, context: schemathesis.AuthContext) -> str:
        return FUZZER_TOKEN

    def set(self, case: Case, data: str, context: schemathesis.AuthContext) -> None:
        case.cookies = {**(case.cookies or {}), SESSION_COOKIE: data}
        case.headers = {**(case.headers or {}), CSRF_HEADER: FUZZER_CSRF}


def _filter_failure(
    context: schemathesis.HookContext, failure: Failure, case: Case, response: schemathesis.Response
) -> bool:
    """Drop what `make fuzz` drops as no failure of this contract: values a cookie cannot carry (`;`, quotes,
    surrounding spaces) that reach the server valid, and Schemathesis' multipart text false positive
    (scripts/fuzz_filters.py, tested in test_fuzz_filters.py)."""
    return contract_false_positive(failure, case, response) is None


def fuzz_schema(operation_ids: list[str]) -> schemathesis.BaseSchema:
    """The contract narrowed to `operation_ids`, configured by schemathesis.toml, authenticated as the fuzzer."""
    config = SchemathesisConfig.from_path(REPO_ROOT / "schemathesis.toml")
    narrowed = schemathesis.openapi.from_dict(contract(), config=config)
    # Excluding the rest, not including these: an `include` is OR-ed with the `[[operations]]` sections' filter.
    others = sorted({op.operation_id for op in OPERATIONS} - set(operation_ids))
    if others:
        narrowed = narrowed.exclude(operation_id=others)
    narrowed.auth()(_FuzzSession)
    narrowed.hook("filter_failure")(_filter_failure)
    narrowed.config.generation.update(
        modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE], max_examples=FUZZ_EXAMPLES
    )
    return narrowed


class FuzzDatabase:
    """One fuzzed database, reset and patched through an engine kept for the module, on an event loop of its own:
    an engine per reset spent ~30 ms connecting to PostgreSQL, and stateful fuzzing resets before every scenario."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._loop = asyncio.new_event_loop()
        self._engine = create_async_engine(url)
        hashed = self._loop.run_until_complete(password_hash(make_settings(url)))
        # The fuzzing administrator, and alice, whose credentials are the contract's token and login examples.
        self._users = seed_users(hashed)
        self._served_by: AccountStates | None = None

    def served_by(self, app: FastAPI) -> FastAPI:
        """Note `app` as the one serving this database: the resets below change accounts and sessions behind its
        back, so they drop its account cache (impl/security/account_cache.py), as nothing else would for up to
        ACCOUNT_CACHE_SECONDS; each scenario then starts from exactly the seeded state."""
        self._served_by = app.state.account_states
        return app

    def reset(self) -> None:
        """Empty every table, then put back the seeded users and the fuzzer's session."""
        self._loop.run_until_complete(reset(self._engine, self._users))
        self._changed_behind_the_app()

    def reopen_fuzzer_session(self) -> None:
        """Undo a fuzzed `POST /logout`, which ends the session the fuzzer's own token names."""
        self._loop.run_until_complete(reopen_fuzzer_session(self._engine))
        self._changed_behind_the_app()

    def _changed_behind_the_app(self) -> None:
        if self._served_by is not None:
            self._served_by.drop_all()

    def close(self) -> None:
        self._loop.run_until_complete(self._engine.dispose())
        self._loop.close()


@pytest.fixture(scope="module")
def fuzz_databases(
    postgres_database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, FuzzDatabase]]:
    """A migrated database of this module's own on each backend, by backend name."""
    sqlite_url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('fuzz') / 'fuzz.db'}"
    migrate(sqlite_url, "head")
    databases = {"sqlite": FuzzDatabase(sqlite_url), "postgres": FuzzDatabase(postgres_database_url)}
    try:
        yield databases
    finally:
        for database in databases.values():
            database.close()


@pytest.fixture(scope="module")
def http_sessions(live_urls: dict[str, str]) -> Iterator[dict[str, requests.Session]]:
    """One HTTP session per backend, kept for the module: its connections are reused from case to case (a session per
    case opened a connection per request), and the cookies a response sets are dropped before the next case, as a
    fresh session's would be (Schemathesis clears a `ManagedCookiesSession` after each request)."""
    sessions = {backend: ManagedCookiesSession() for backend in live_urls}
    try:
        yield sessions
    finally:
        for session in sessions.values():
            session.close()


@pytest.fixture(scope="module")
def live_urls(fuzz_databases: dict[str, FuzzDatabase]) -> Iterator[dict[str, str]]:
    """The app on a real socket per backend, by backend name, each with the seeded users."""
    # Brute-force limits would make replayed scenarios answer differently; tests/e2e/test_passwords.py covers them.
    unlimited = {
        "login_failures_per_user": 10**6,
        "login_failures_per_user_total": 10**6,
        "login_failures_per_ip": 10**6,
        # Every sendNotification case is accepted (log sender: make_settings never sets SMTP_HOST).
        "notifications_per_user": 10**6,
    }
    with ExitStack() as stack:
        urls: dict[str, str] = {}
        for backend, database in fuzz_databases.items():
            database.reset()
            app = database.served_by(create_app(make_settings(database.url, **unlimited)))
            urls[backend] = stack.enter_context(serve(app))
        yield urls


def operation_id(case: Case) -> str:
    """The operationId of the operation a case calls."""
    operation_id: str = case.operation.definition.raw["operationId"]
    return operation_id


@cache
def link_targets() -> frozenset[str]:
    """The implemented operations some response of the contract links to."""
    targets = {
        link["operationId"]
        for item in contract()["paths"].values()
        for operation in item.values()
        if isinstance(operation, dict)
        for response in operation.get("responses", {}).values()
        for link in response.get("links", {}).values()
    }
    return frozenset(targets & set(IMPLEMENTED_IDS))


def assert_answered_2xx(successes: Counter[tuple[str, str]], backend: str, expected: set[str] | frozenset[str]) -> None:
    """A run where every request bounces off validation or auth would "pass" every check: prove real work happened."""
    never = sorted(op for op in expected if successes[(backend, op)] == 0)
    assert not never, f"operations that never answered 2xx on {backend}: {never}"
