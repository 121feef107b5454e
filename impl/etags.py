"""Entity tags and `If-Match` evaluation (RFC 9110 §8.8.3, §13.1.1)."""

from __future__ import annotations


def make_etag(resource_id: int, version: int) -> str:
    """A strong ETag naming one version of one resource."""
    return f'"{resource_id}.{version}"'


def if_match_allows(if_match: str | None, current_etag: str) -> bool:
    """Whether `If-Match` permits a change of the resource whose tag is `current_etag` (absent header: yes)."""
    if if_match is None:
        return True
    candidates = [part.strip() for part in if_match.split(",")]
    # If-Match uses the strong comparison: a weak tag never matches.
    return any(tag == "*" or tag == current_etag for tag in candidates)
