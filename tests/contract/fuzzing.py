"""Schemathesis fuzzes every implemented operation of a live server against the contract.

The tests live here and run from one module per backend (test_fuzz_sqlite.py, test_fuzz_postgres.py), so that
pytest-xdist can run the two backends in parallel.

Every one of Schemathesis' checks runs; `schemathesis.toml` lists, per operation and with the reason, the
statuses the contract legitimately answers to valid input. Which operations are fuzzed comes from the binding
(`implemented_operations` of the app's `Services`), never from a hand-kept list, and the run must prove it did
real work: every implemented operation answers 2xx at least once, statelessly or by following links.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator
from functools import cache
from typing import Any

import hypothesis
import pytest
import schemathesis
from schemathesis import Case, GenerationMode
from schemathesis.config import SchemathesisConfig

from generated import OPERATIONS, implemented_operations
from impl.app import create_app
from impl.security.authenticator import CSRF_HEADER, SESSION_COOKIE
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
from tests.databases import REPO_ROOT, make_settings

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
# token is therefore minted now, for an administrator account the `live_url` fixture creates with this id.
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


def _fuzz_schema(operation_ids: list[str]) -> schemathesis.BaseSchema:
    """The contract narrowed to `operation_ids`, configured by schemathesis.toml, authenticated as the fuzzer."""
    config = SchemathesisConfig.from_path(REPO_ROOT / "schemathesis.toml")
    narrowed = schemathesis.openapi.from_dict(contract(), config=config)
    # Excluding the rest, not including these: an `include` is OR-ed with the `[[operations]]` sections' filter.
    others = sorted({op.operation_id for op in OPERATIONS} - set(operation_ids))
    if others:
        narrowed = narrowed.exclude(operation_id=others)
    narrowed.auth()(_FuzzSession)
    narrowed.config.generation.update(
        modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE], max_examples=FUZZ_EXAMPLES
    )
    return narrowed


schema = _fuzz_schema(IMPLEMENTED_IDS)
successes: Counter[tuple[str, str]] = Counter()


@cache
def _seed_users(database_url: str) -> tuple[dict[str, object], ...]:
    """The fuzzing administrator, and alice, whose credentials are the contract's token and login examples."""
    return tuple(seed_users(asyncio.run(password_hash(make_settings(database_url)))))


def _reset(database_url: str, *, seed: bool = True) -> None:
    """Empty every table, then (unless told not to) put back the seeded users and the fuzzer's session."""
    asyncio.run(reset(database_url, list(_seed_users(database_url)) if seed else None))


def _reopen_fuzzer_session(database_url: str) -> None:
    """Undo a fuzzed `POST /logout`, which ends the session the fuzzer's own token names."""
    asyncio.run(reopen_fuzzer_session(database_url))


@pytest.fixture(scope="module")
def live_url(database_url: str) -> Iterator[str]:
    """The app on a real socket, backed by the current test database, with the seeded users."""
    _reset(database_url)
    # Brute-force limits would make replayed scenarios answer differently; tests/e2e/test_passwords.py covers them.
    unlimited = {
        "login_failures_per_user": 10**6,
        "login_failures_per_user_total": 10**6,
        "login_failures_per_ip": 10**6,
        # Every sendNotification case is accepted (log sender: make_settings never sets SMTP_HOST).
        "notifications_per_user": 10**6,
    }
    with serve(create_app(make_settings(database_url, **unlimited))) as url:
        yield url
    # The session database is shared with the modules that run next in this process: leave it empty.
    _reset(database_url, seed=False)


def _operation_id(case: Case) -> str:
    operation_id: str = case.operation.definition.raw["operationId"]
    return operation_id


@schema.parametrize()
@hypothesis.settings(**HYPOTHESIS)
def test_operation_conforms_to_contract(case: Case, live_url: str, database_url: str) -> None:
    response = case.call_and_validate(base_url=live_url)
    if 200 <= response.status_code < 300:
        successes[(database_url, _operation_id(case))] += 1
        if _operation_id(case) == "logout":
            _reopen_fuzzer_session(database_url)


def _linked_tags() -> list[str]:
    """Tags with an implemented operation that some response links to: each gets its own stateful run."""
    by_id = {op.operation_id: op.tag for op in IMPLEMENTED}
    targets = {
        link["operationId"]
        for item in contract()["paths"].values()
        for operation in item.values()
        if isinstance(operation, dict)
        for response in operation.get("responses", {}).values()
        for link in response.get("links", {}).values()
    }
    return sorted({by_id[target] for target in targets if target in by_id})


@pytest.mark.parametrize("tag", _linked_tags())
def test_stateful_workflows_follow_links(live_url: str, database_url: str, tag: str) -> None:
    tagged = sorted(op.operation_id for op in IMPLEMENTED if op.tag == tag)

    class Workflow(_fuzz_schema(tagged).as_state_machine()):  # type: ignore[misc]
        def setup(self) -> None:
            # Hypothesis replays scenarios: each must start from the same database to be reproducible
            # (and a scenario may have deleted the fuzzer's own account).
            _reset(database_url)

        def get_call_kwargs(self, case: Case) -> dict[str, Any]:
            return {"base_url": live_url}

        def validate_response(self, response: Any, case: Case, additional_checks: Any = None, **kwargs: Any) -> None:
            if 200 <= response.status_code < 300:
                successes[(database_url, _operation_id(case))] += 1
            case.validate_response(response)

    settings = hypothesis.settings(max_examples=STATEFUL_EXAMPLES, stateful_step_count=8, **HYPOTHESIS)
    Workflow.run(settings=settings)


def assert_every_implemented_operation_answered_2xx(database_url: str) -> None:
    """A run where every request bounces off validation or auth would "pass" every check: prove real work happened.

    Each backend module calls it from its last test (after the fuzzing tests it imports have run).
    """
    never = [op for op in IMPLEMENTED_IDS if successes[(database_url, op)] == 0]
    assert not never, f"implemented operations that never answered 2xx: {never}"
