"""`make fuzz` (scripts/fuzz_hooks.py) drops exactly one Schemathesis false positive: multipart text sent as digits."""

from __future__ import annotations

import pytest
from schemathesis.core.failures import AcceptedNegativeData, Failure

from scripts.fuzz_filters import multipart_text_false_positive

TYPE_ONLY = "Invalid component: in body - violates `type` at /properties/name (was string, became integer)"
TWO_PARTS = (
    "Invalid component:\n  - in body - violates `type` at /properties/name (was string, became boolean)\n"
    "  - cookie: violates `maxLength` at /properties/last_query"
)
LENGTH = "Invalid component: in body - violates `maxLength` at /properties/name"


def _accepted(message: str) -> AcceptedNegativeData:
    return AcceptedNegativeData(operation="POST /x", message=message, status_code=201, expected_statuses=["422"])


def _keep(failure: Failure, media_type: str) -> bool:
    return not multipart_text_false_positive(failure, media_type)


def test_a_text_field_sent_as_digits_in_multipart_is_dropped() -> None:
    assert not _keep(_accepted(TYPE_ONLY), "multipart/form-data")


@pytest.mark.parametrize(
    ("message", "media_type"),
    [
        (TYPE_ONLY, "application/json"),  # JSON keeps types: accepting an integer there is a real bug
        (TWO_PARTS, "multipart/form-data"),  # another invalid part the server should have refused
        (LENGTH, "multipart/form-data"),  # a real constraint, checked on the text
    ],
)
def test_every_other_accepted_negative_case_is_kept(message: str, media_type: str) -> None:
    assert _keep(_accepted(message), media_type)
