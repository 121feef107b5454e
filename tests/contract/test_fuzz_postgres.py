"""Schemathesis against a live server on PostgreSQL: every check, every implemented operation (see fuzzing.py)."""

from __future__ import annotations

import pytest

from tests.contract.fuzzing import (
    assert_every_implemented_operation_answered_2xx,
    live_url,
    test_operation_conforms_to_contract,
    test_stateful_workflows_follow_links,
)

pytestmark = pytest.mark.parametrize("database_url", ["postgres"], indirect=True)

__all__ = ["live_url", "test_operation_conforms_to_contract", "test_stateful_workflows_follow_links"]


def test_every_implemented_operation_answered_2xx(database_url: str) -> None:
    # Defined here, after the imported tests, so that it runs last.
    assert_every_implemented_operation_answered_2xx(database_url)
