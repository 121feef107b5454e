"""The `uri` probes given to Schemathesis' coverage phase (scripts/fuzz_formats.py): honest (each valid probe is a
URI, each near miss is not, by the validator the checks use), taken for the contract's URL pattern, every value of
which is a URI (so the search they skip could find nothing), and not taken for patterns that admit non-URIs (so
those are still searched)."""

from __future__ import annotations

from collections.abc import Iterator

import jsonschema_rs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scripts.fuzz_formats import NEAR_MISSES, VALID_URIS, implies_uri, register
from tests.contract.contract import contract

_URI = jsonschema_rs.Draft202012Validator({"type": "string", "format": "uri"}, validate_formats=True)


def _uri_patterns(node: object) -> Iterator[str]:
    """The pattern of every string schema of the contract that also says `format: uri`."""
    if isinstance(node, dict):
        if node.get("format") == "uri" and isinstance(node.get("pattern"), str):
            yield node["pattern"]
        for value in node.values():
            yield from _uri_patterns(value)
    elif isinstance(node, list):
        for value in node:
            yield from _uri_patterns(value)


PATTERNS = sorted(set(_uri_patterns(contract())))


def test_the_contract_has_uri_patterns_to_probe() -> None:
    assert PATTERNS  # Image.url; without one, the probes would test nothing


@pytest.mark.parametrize("value", VALID_URIS)
def test_each_valid_probe_is_a_uri(value: str) -> None:
    assert _URI.is_valid(value)


@pytest.mark.parametrize("value", NEAR_MISSES)
def test_each_near_miss_is_not_a_uri(value: str) -> None:
    assert not _URI.is_valid(value)


@pytest.mark.parametrize("pattern", PATTERNS)
def test_the_contracts_uri_patterns_are_taken_to_imply_the_format(pattern: str) -> None:
    register()
    assert implies_uri(pattern)


@pytest.mark.parametrize("pattern", PATTERNS)
def test_every_value_a_contract_uri_pattern_admits_is_a_uri(pattern: str) -> None:
    @settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(st.from_regex(pattern, fullmatch=True))
    def admitted_is_a_uri(value: str) -> None:
        assert _URI.is_valid(value), value

    admitted_is_a_uri()


@pytest.mark.parametrize(
    "pattern",
    [
        r"^.*$",
        r"^https?://.*$",  # a space, a brace, a broken escape
        r"^https?://[^ ]+$",  # `{x}`, `%zz`
        r"^https?://[A-Za-z0-9.%]+(/[A-Za-z0-9.%]*)*$",  # `%zz`
    ],
)
def test_a_pattern_that_admits_non_uris_is_still_searched(pattern: str) -> None:
    register()
    assert not implies_uri(pattern)
