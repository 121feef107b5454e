"""Lets Schemathesis' coverage phase see at once that a `pattern` written for URIs leaves no `format: uri` violation.

For a string schema with both, the coverage phase looks for a value that matches the pattern but violates the
format, by drawing from the pattern and filtering (`_negative_format` in schemathesis' coverage/_schema.py). Every
URL the contract's `Image.url` pattern admits is a valid URI, so the search finds nothing, after ~10 s of CPU in
each fuzzing run (`make test` ran it four times). Schemathesis skips that search for the formats it has probes for:
a pattern that accepts the probes' valid values and rejects every near miss is taken to imply the format, and the
case is unsatisfiable at once. This adds probes for `uri`; the outcome is the one the search reached, without it.
A pattern that admits any near miss (a space, a character URIs never hold, a broken escape) is still searched.
"""

from __future__ import annotations

from schemathesis.specs.openapi.coverage import _schema

VALID_URIS = ("https://example.com/foo.png", "http://example.com:8080/a/b?c=d#e", "https://a.example/%41")
# Strings a URI pattern must refuse: characters RFC 3986 never allows unescaped, broken escapes, no scheme.
NEAR_MISSES = (
    "https://exa mple.com/",
    "https://example.com/a b",
    "https://example.com/\u00e9",
    "https://example.com/%zz",
    "https://example.com/%4",
    "https://example.com/{x}",
    "https://example.com/a|b",
    "https://example.com/a\\b",
    "https://example.com/<x>",
    'https://example.com/"x"',
    "https://example.com/^",
    "https://example.com/`",
    "https://example.com/\x00",
    "http://[::1",
    "//example.com/x",
    "example.com/x",
    "",
)


def register() -> None:
    """Give the coverage phase the `uri` probes (Schemathesis' own formats' probes are left as they are)."""
    _schema._FORMAT_PROBES.setdefault("uri", (VALID_URIS, NEAR_MISSES))


def implies_uri(pattern: str) -> bool:
    """Whether the coverage phase takes `pattern` to imply `format: uri` (once `register` has run)."""
    return _schema._pattern_implies_format(pattern, "uri")
