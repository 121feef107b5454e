"""Stateful Schemathesis runs follow the contract's links (create, then read, change, delete what was created) on a live
server per backend, one run per tag with a link target. Scenarios depend on the answers (links carry ids), so each
backend gets its own. What the fuzzing modules share: fuzzing.py.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import hypothesis
import pytest
import requests
from schemathesis import Case

from tests.contract.fuzzing import (
    BACKENDS,
    HYPOTHESIS,
    IMPLEMENTED,
    STATEFUL_EXAMPLES,
    FuzzDatabase,
    assert_answered_2xx,
    fuzz_databases,
    fuzz_schema,
    http_sessions,
    link_targets,
    live_urls,
    operation_id,
)

__all__ = ["fuzz_databases", "http_sessions", "live_urls"]

successes: Counter[tuple[str, str]] = Counter()
# Tags with an implemented operation that some response links to: each gets its own stateful run.
LINKED_TAGS = sorted({op.tag for op in IMPLEMENTED if op.operation_id in link_targets()})


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("tag", LINKED_TAGS)
def test_stateful_workflows_follow_links(
    live_urls: dict[str, str],
    http_sessions: dict[str, requests.Session],
    fuzz_databases: dict[str, FuzzDatabase],
    tag: str,
    backend: str,
) -> None:
    tagged = sorted(op.operation_id for op in IMPLEMENTED if op.tag == tag)
    call_kwargs = {"base_url": live_urls[backend], "session": http_sessions[backend]}
    database = fuzz_databases[backend]

    class Workflow(fuzz_schema(tagged).as_state_machine()):  # type: ignore[misc]
        def setup(self) -> None:
            # Hypothesis replays scenarios: each must start from the same database to be reproducible
            # (and a scenario may have deleted the fuzzer's own account).
            database.reset()

        def get_call_kwargs(self, case: Case) -> dict[str, Any]:
            return call_kwargs

        def validate_response(self, response: Any, case: Case, additional_checks: Any = None, **kwargs: Any) -> None:
            if 200 <= response.status_code < 300:
                successes[(backend, operation_id(case))] += 1
            case.validate_response(response)

    settings = hypothesis.settings(max_examples=STATEFUL_EXAMPLES, stateful_step_count=8, **HYPOTHESIS)
    Workflow.run(settings=settings)


@pytest.mark.parametrize("backend", BACKENDS)
def test_every_link_target_answered_2xx(backend: str) -> None:
    """Last in the module, so it runs after the scenarios (pytest-xdist's `--dist loadfile` keeps a module in one
    process, where `successes` was counted)."""
    assert_answered_2xx(successes, backend, link_targets())
