"""Generator test fixtures: generated packages imported by a test never leak into the next one."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def _isolate_sys_modules() -> Iterator[None]:
    """Drop generated packages imported by a test so names never leak between tests."""
    before = set(sys.modules)
    yield
    for name in set(sys.modules) - before:
        if name.startswith("gen_"):
            del sys.modules[name]
