"""Longest test modules first: `make test` hands whole modules to its xdist workers (`--dist loadfile`), and a long
module started late leaves the other workers idle at the end.

pytest-xdist's own order (`--loadscope-reorder`) starts the modules with the most tests first, which here is the
wrong guess: the fuzzing modules have a handful of tests and run for a minute (measured: `test_fuzz_links.py`
started 97 s into a 163 s run, alone for its last 8 s). Instead, each run notes how long each module took (its
tests' setup, call and teardown, summed) in the run's cache directory, and the next run sorts its modules by that,
longest first; a module with no figure yet goes first, and the tests within a module keep their order.

The figures are read once, by the process that starts the workers, and handed to them: every worker must collect
the same tests in the same order, even when a concurrent run saves new figures meanwhile.
"""

from __future__ import annotations

import json
import math
import os
import uuid
from collections import defaultdict
from pathlib import Path

import pytest

from tests.caches import CACHE_ROOT

SAVED = CACHE_ROOT / "module-seconds.json"
WORKER_INPUT = "module_seconds"


def load(saved: Path = SAVED) -> dict[str, float]:
    """The seconds each module took when it last ran, by its path relative to the root directory ({} if none)."""
    try:
        loaded = json.loads(saved.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(loaded, dict):
        return {}
    return {str(k): float(v) for k, v in loaded.items() if isinstance(v, int | float)}


def save(seconds: dict[str, float], saved: Path = SAVED) -> None:
    """Merge this run's figures into the saved ones (modules it did not run keep theirs); written aside, then
    renamed, so that a concurrent reader gets one version or the other."""
    merged = {**load(saved), **seconds}
    staged = saved.with_name(f".{saved.name}.{uuid.uuid4().hex}")
    try:
        saved.parent.mkdir(parents=True, exist_ok=True)
        staged.write_text(json.dumps(merged, indent=0, sort_keys=True), encoding="utf-8")
        os.replace(staged, saved)
    except OSError:
        staged.unlink(missing_ok=True)


def module_of(nodeid: str) -> str:
    return nodeid.split("::", 1)[0]


def longest_first(items: list[pytest.Item], seconds: dict[str, float]) -> None:
    """Reorder `items` in place: modules by their last duration, longest (or unknown) first, each module's tests
    together and in their order; modules that took equally long keep the order of their first tests."""
    first: dict[str, int] = {}
    for position, item in enumerate(items):
        first.setdefault(module_of(item.nodeid), position)

    def rank(item: pytest.Item) -> tuple[float, int]:
        module = module_of(item.nodeid)
        return -seconds.get(module, math.inf), first[module]

    items.sort(key=rank)


class ModuleTimer:
    """Sums the reported durations of each module's tests, wherever they ran (the controller gets every worker's
    reports), for `save`."""

    def __init__(self) -> None:
        self.seconds: defaultdict[str, float] = defaultdict(float)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.seconds[module_of(report.nodeid)] += report.duration
