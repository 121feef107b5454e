"""Modules run longest first, by the durations the last run saved (tests/scheduling.py)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest

from tests import scheduling


def _items(*nodeids: str) -> list[pytest.Item]:
    return cast(list[pytest.Item], [SimpleNamespace(nodeid=nodeid) for nodeid in nodeids])


def _report(nodeid: str, duration: float) -> pytest.TestReport:
    return cast(pytest.TestReport, SimpleNamespace(nodeid=nodeid, duration=duration))


def test_longest_module_first_unknown_ones_before_each_modules_tests_together_in_their_order() -> None:
    items = _items("a.py::t1", "b.py::t1", "a.py::t2", "c.py::t1", "new.py::t1", "b.py::t2", "a.py::t3")
    scheduling.longest_first(items, {"a.py": 1.0, "b.py": 30.0, "c.py": 1.0})
    assert [item.nodeid for item in items] == [
        "new.py::t1",
        "b.py::t1",
        "b.py::t2",
        "a.py::t1",  # a.py and c.py took as long: the order of their first tests
        "a.py::t2",
        "a.py::t3",
        "c.py::t1",
    ]


def test_each_modules_setup_call_and_teardown_are_summed() -> None:
    timer = scheduling.ModuleTimer()
    for nodeid, duration in [("a.py::t1", 2.0), ("a.py::t1", 0.5), ("a.py::t2[x]", 0.25), ("b.py::C::t", 1.0)]:
        timer.pytest_runtest_logreport(_report(nodeid, duration))
    assert timer.seconds == {"a.py": 2.75, "b.py": 1.0}


def test_a_run_updates_the_modules_it_ran_and_keeps_the_others(tmp_path: Path) -> None:
    saved = tmp_path / "seconds.json"
    assert scheduling.load(saved) == {}
    scheduling.save({"a.py": 5.0, "b.py": 1.0}, saved)
    scheduling.save({"b.py": 3.0}, saved)
    assert scheduling.load(saved) == {"a.py": 5.0, "b.py": 3.0}
    assert [p.name for p in tmp_path.iterdir()] == ["seconds.json"], "a staged copy was left behind"


@pytest.mark.parametrize("text", ["", "{not json", "[1, 2]", '{"a.py": "slow", "b.py": 2}'])
def test_a_damaged_file_orders_nothing_it_cannot_read(tmp_path: Path, text: str) -> None:
    saved = tmp_path / "seconds.json"
    saved.write_text(text)
    loaded: dict[str, Any] = scheduling.load(saved)
    assert loaded in ({}, {"b.py": 2.0})
