"""Schemathesis fuzzes every implemented operation of a live server against the contract, on both backends."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator
from typing import Any

import hypothesis
import pytest
import schemathesis
from schemathesis import Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import create_async_engine

from impl.app import create_app
from impl.settings import Settings
from impl.tables import Base
from tests.contract.contract import contract
from tests.contract.implemented import implemented_operation_ids
from tests.contract.live_server import serve

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
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
}
HYPOTHESIS: dict[str, Any] = {
    "deadline": None,
    "suppress_health_check": list(hypothesis.HealthCheck),
    "database": None,
}

# The contract file itself (test_contract_matches_app proves /openapi.json serves exactly it).
schema = schemathesis.openapi.from_dict(contract()).include(operation_id=sorted(implemented_operation_ids()))
schema.config.generation.update(modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE], max_examples=60)
successes: Counter[tuple[str, str]] = Counter()


@pytest.fixture(scope="module")
def live_url(database_url: str) -> Iterator[str]:
    """The app on a real socket, backed by the current test database."""
    app = create_app(Settings(database_url=database_url, environment="test", log_json=False))
    with serve(app) as url:
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


def _empty_tables(database_url: str) -> None:
    async def empty() -> None:
        engine = create_async_engine(database_url)
        async with engine.begin() as conn:
            for table in reversed(Base.metadata.sorted_tables):
                await conn.execute(delete(table))
        await engine.dispose()

    asyncio.run(empty())


def test_stateful_workflows_follow_links(live_url: str, database_url: str) -> None:
    statuses: Counter[str] = Counter()

    class Workflow(schema.as_state_machine()):  # type: ignore[misc]
        def setup(self) -> None:
            # Hypothesis replays scenarios: each must start from the same (empty) database to be reproducible.
            _empty_tables(database_url)

        def get_call_kwargs(self, case: Case) -> dict[str, Any]:
            return {"base_url": live_url}

        def validate_response(self, response: Any, case: Case, additional_checks: Any = None, **kwargs: Any) -> None:
            if 200 <= response.status_code < 300:
                statuses[_operation_id(case)] += 1
            case.validate_response(response, checks=CHECKS)

    Workflow.run(settings=hypothesis.settings(max_examples=40, stateful_step_count=8, **HYPOTHESIS))
    followed = {"getItem", "replaceItem", "updateItem", "deleteItem"} & {op for op, n in statuses.items() if n}
    assert len(followed) == 4, f"link-following calls that never succeeded: {dict(statuses)}"
