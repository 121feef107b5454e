"""Schemathesis fuzzes every implemented operation of a live server against the contract, on both backends."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import Counter
from collections.abc import Iterator
from functools import cache
from typing import Any

import hypothesis
import pytest
import schemathesis
from schemathesis import Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import delete, insert
from sqlalchemy.ext.asyncio import create_async_engine

from generated import OPERATIONS
from impl.app import create_app
from impl.security.authenticator import CSRF_HEADER, SESSION_COOKIE
from impl.security.passwords import PasswordHasher
from impl.security.tokens import TokenCodec, hash_secret
from impl.tables import IdempotencyKeyRow, ItemRow, RefreshTokenRow, SessionRow, UserRow
from tests.contract.contract import contract
from tests.contract.implemented import implemented_operation_ids
from tests.contract.live_server import serve
from tests.databases import make_settings
from tests.users import PASSWORD

FUZZER = "fuzzer@example.com"
ALL_SCOPES = {"items:read", "items:write", "users:admin"}

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
    ignored_auth,
]
# Operations a random, stateless request can complete; those that need an existing id are reached by the
# stateful run through the contract's links.
MUST_REACH_2XX = {
    "readRoot",
    "getHealth",
    "getReadiness",
    "getPublicSettings",
    "listItems",
    "createItem",
    "getModel",
    "getUnicorn",
    "readCurrentUser",
    "listUsers",
    "createUser",
    "revokeToken",
    "logout",
}
HYPOTHESIS: dict[str, Any] = {
    "deadline": None,
    "suppress_health_check": list(hypothesis.HealthCheck),
    "database": None,
}

# The contract file itself (test_contract_matches_app proves /openapi.json serves exactly it).
IMPLEMENTED = implemented_operation_ids()


# Schemathesis applies auth while it builds cases, partly at collection time, before any fixture runs: the
# token is therefore minted now, for an administrator account the `live_url` fixture creates with this id.
FUZZER_ID = 2**62  # far above any id the sequences reach while fuzzing creates users
FUZZER_CSRF = "fuzzer-csrf-token"
FUZZER_TOKEN = (
    TokenCodec(make_settings("sqlite+aiosqlite://"))
    .issue(
        subject=str(FUZZER_ID),
        scopes=frozenset(ALL_SCOPES),
        ttl_seconds=3600,
        csrf_hash=hash_secret(FUZZER_CSRF),
    )
    .token
)


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


def _fuzz_schema(operation_ids: set[str]) -> schemathesis.BaseSchema:
    """The contract narrowed to `operation_ids`, every request authenticated as the fuzzing administrator."""
    narrowed = schemathesis.openapi.from_dict(contract()).include(operation_id=sorted(operation_ids))
    narrowed.auth()(_FuzzSession)
    narrowed.config.generation.update(modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE], max_examples=60)
    return narrowed


schema = _fuzz_schema(IMPLEMENTED)
successes: Counter[tuple[str, str]] = Counter()


@cache
def _fuzzer_row(database_url: str) -> dict[str, object]:
    password_hash = asyncio.run(PasswordHasher(make_settings(database_url)).hash(PASSWORD))
    now = dt.datetime.now(dt.UTC)
    return {
        "id": FUZZER_ID,
        "email": FUZZER,
        "email_key": FUZZER,
        "password_hash": password_hash,
        "scopes": sorted(ALL_SCOPES),
        "is_active": True,
        "created_at": now,
        "updated_at": now,
    }


@pytest.fixture(scope="module")
def live_url(database_url: str) -> Iterator[str]:
    """The app on a real socket, backed by the current test database, with the fuzzing administrator."""
    _reset_to_fuzzer_only(database_url)
    # Brute-force limits would make replayed scenarios answer differently; tests/e2e/test_auth.py covers them.
    unlimited = {"login_failures_per_user": 10**6, "login_failures_per_ip": 10**6}
    with serve(create_app(make_settings(database_url, **unlimited))) as url:
        yield url


def _operation_id(case: Case) -> str:
    operation_id: str = case.operation.definition.raw["operationId"]
    return operation_id


@schema.parametrize()
@hypothesis.settings(**HYPOTHESIS)
def test_operation_conforms_to_contract(case: Case, live_url: str, database_url: str) -> None:
    response = case.call_and_validate(base_url=live_url, checks=CHECKS)
    if 200 <= response.status_code < 300:
        successes[(database_url, _operation_id(case))] += 1


def test_stateless_fuzzing_reached_success_responses(database_url: str) -> None:
    # A run where every request bounces off validation would "pass" every check: prove real work happened.
    missing = {op for op in MUST_REACH_2XX if successes[(database_url, op)] == 0}
    assert not missing, f"operations that never answered 2xx: {sorted(missing)}"


def _reset_to_fuzzer_only(database_url: str) -> None:
    """Empty every table, then put back the fuzzing administrator (children first: no cascades needed)."""

    fuzzer = _fuzzer_row(database_url)

    async def empty() -> None:
        engine = create_async_engine(database_url)
        async with engine.begin() as conn:
            for table in (ItemRow, IdempotencyKeyRow, RefreshTokenRow, SessionRow):
                await conn.execute(delete(table))
            await conn.execute(delete(UserRow))
            await conn.execute(insert(UserRow).values(fuzzer))
        await engine.dispose()

    asyncio.run(empty())


# One workflow per tag: over the whole API the state machine spends its steps on unrelated operations.
LINKED = {
    "items": {"getItem", "replaceItem", "updateItem", "deleteItem"},
    "users": {"getUser"},
}


@pytest.mark.parametrize("tag", sorted(LINKED))
def test_stateful_workflows_follow_links(live_url: str, database_url: str, tag: str) -> None:
    statuses: Counter[str] = Counter()

    tagged = {op.operation_id for op in OPERATIONS if op.tag == tag and op.operation_id in IMPLEMENTED}

    class Workflow(_fuzz_schema(tagged).as_state_machine()):  # type: ignore[misc]
        def setup(self) -> None:
            # Hypothesis replays scenarios: each must start from the same database to be reproducible
            # (and a scenario may have deleted the fuzzer's own account).
            _reset_to_fuzzer_only(database_url)

        def get_call_kwargs(self, case: Case) -> dict[str, Any]:
            return {"base_url": live_url}

        def validate_response(self, response: Any, case: Case, additional_checks: Any = None, **kwargs: Any) -> None:
            if 200 <= response.status_code < 300:
                statuses[_operation_id(case)] += 1
            case.validate_response(response, checks=CHECKS)

    # Derandomized: the same scenarios on every run, so a failure in CI reproduces locally.
    settings = hypothesis.settings(max_examples=60, stateful_step_count=8, derandomize=True, **HYPOTHESIS)
    Workflow.run(settings=settings)
    never = {op for op in LINKED[tag] if statuses[op] == 0}
    assert not never, f"link-following calls that never succeeded: {sorted(never)}; successes: {dict(statuses)}"
