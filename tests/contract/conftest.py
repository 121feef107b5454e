"""The fuzzing module's Schemathesis tests make their coverage cases when they run, not when they are collected.

Schemathesis makes an operation's coverage-phase cases (boundary and negative values, drawn with Hypothesis) while
it builds the operation's test, that is at collection: ~11 s of CPU for the contract, paid by every xdist worker,
though only the worker that runs tests/contract/test_fuzz_contract.py uses them. Deferred to the test's setup, a
worker pays for what it runs; the cases are the same (Schemathesis' own function, called with the same arguments,
adds them to the same test function) and come in the same order, after the examples phase's.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Callable, Generator
from typing import Any

import pytest
from schemathesis.generation.hypothesis import builder
from schemathesis.pytest.plugin import SchemathesisCase

from scripts.fuzz_formats import register as register_uri_probes

register_uri_probes()  # as `make fuzz` does (scripts/fuzz_formats.py)
_deferred: dict[Callable[..., Any], Callable[[], Any]] = {}
_collected: set[object] = set()


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(
    collector: pytest.Collector,
) -> Generator[None, pytest.CollectReport, pytest.CollectReport]:
    """While Schemathesis builds the tests of a schema: record the coverage cases to add instead of adding them."""
    if not isinstance(collector, SchemathesisCase):
        return (yield)
    eager = builder.add_coverage

    def add_coverage_later(test: Callable[..., Any], *args: Any, **kwargs: Any) -> Callable[..., Any]:
        _deferred[test] = functools.partial(eager, test, *args, **kwargs)
        return test

    builder.add_coverage = add_coverage_later
    try:
        return (yield)
    finally:
        builder.add_coverage = eager


def pytest_itemcollected(item: pytest.Item) -> None:
    """Remember which functions the collected items call."""
    _collected.add(getattr(item, "obj", None))


def pytest_collection_finish(session: pytest.Session) -> None:
    """Every deferred test must be a collected item's own function, or its coverage cases would never be added; and
    every item needs a node id of its own: pytest-xdist runs one item per id, so operations sharing one (Schemathesis'
    items of an unparametrized test do, on pytest 9.2) would silently not be fuzzed."""
    assert _collected.issuperset(_deferred), "a Schemathesis test whose coverage cases were deferred is not an item"
    shared = sorted(nodeid for nodeid, count in Counter(item.nodeid for item in session.items).items() if count > 1)
    assert not shared, f"items that share a node id (pytest-xdist would run one of each): {shared}"


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Add the coverage cases of a deferred test before it runs."""
    add_coverage = _deferred.pop(getattr(item, "obj", None), None)  # type: ignore[arg-type]
    if add_coverage is not None:
        add_coverage()
