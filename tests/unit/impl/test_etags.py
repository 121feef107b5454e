"""If-Match evaluation follows RFC 9110's strong comparison."""

from __future__ import annotations

import pytest

from impl.etags import if_match_allows, make_etag


def test_make_etag_is_strong_and_names_id_and_version() -> None:
    assert make_etag(42, 3) == '"42.3"'


@pytest.mark.parametrize(
    ("header", "allowed"),
    [
        (None, True),
        ('"42.3"', True),
        ("*", True),
        ('"1.1", "42.3"', True),
        ('"42.2"', False),
        ('W/"42.3"', False),
        ("", False),
        ('"42.3', False),
    ],
)
def test_if_match_allows(header: str | None, allowed: bool) -> None:
    assert if_match_allows(header, '"42.3"') is allowed
