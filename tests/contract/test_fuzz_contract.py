"""Schemathesis fuzzes every implemented operation of a live server per backend, SQLite and PostgreSQL, statelessly.

Each generated case goes to both backends' servers, one after the other, and each response is checked: the cases are
derandomized, so one module per backend drew the very same cases twice, and drawing them is the largest part of a
fuzz case's time (~40% of the busy samples, profiled with py-spy; the two servers took ~33%). The backends stay in
step: each starts from the same seeded rows and gets the same requests in the same order. What the fuzzing modules
share, and how they prove they did real work: fuzzing.py.
"""

from __future__ import annotations

from collections import Counter

import hypothesis
import pytest
import requests
from schemathesis import Case

from tests.contract.fuzzing import (
    BACKENDS,
    HYPOTHESIS,
    IMPLEMENTED_IDS,
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

schema = fuzz_schema(IMPLEMENTED_IDS)
successes: Counter[tuple[str, str]] = Counter()


# The backends as a parameter: it names each case per backend pair in its node id, and pytest-xdist needs node ids
# to be unique (with no parametrization, pytest 9.2 gives every operation's item the test's bare name).
@pytest.mark.parametrize("backends", [BACKENDS], ids="+".join)
@schema.parametrize()
@hypothesis.settings(**HYPOTHESIS)
def test_operation_conforms_to_contract(
    case: Case,
    backends: tuple[str, ...],
    live_urls: dict[str, str],
    http_sessions: dict[str, requests.Session],
    fuzz_databases: dict[str, FuzzDatabase],
) -> None:
    for backend in backends:
        url = live_urls[backend]
        try:
            response = case.call_and_validate(base_url=url, session=http_sessions[backend])
        except Exception as failure:
            failure.add_note(f"on {backend} ({url})")
            raise
        if 200 <= response.status_code < 300:
            successes[(backend, operation_id(case))] += 1
            if operation_id(case) == "logout":
                fuzz_databases[backend].reopen_fuzzer_session()


@pytest.mark.parametrize("backend", BACKENDS)
def test_every_operation_no_link_reaches_answered_2xx(backend: str) -> None:
    """Last in the module, so it runs after the fuzzing (pytest-xdist's `--dist loadfile` keeps a module in one
    process, where `successes` was counted); link targets are test_fuzz_links.py's to prove."""
    assert_answered_2xx(successes, backend, set(IMPLEMENTED_IDS) - link_targets())
