"""Which Schemathesis failures are its own false positives (a plain module: importing it registers no hook)."""

from __future__ import annotations

import re

from schemathesis.core.failures import AcceptedNegativeData, Failure

# Multipart values are text on the wire: a `type: string` field "mutated" to a number or a boolean arrives as the
# digits or `true`/`false`, a valid string. Schemathesis 4.32 still reports accepting it as ST201.
_TEXT_TYPE_MUTATION = re.compile(r"violates `type` at /properties/\S+ \(was string, became (integer|number|boolean)\)")


def multipart_text_false_positive(failure: Failure, media_type: str | None) -> bool:
    """True only for that false positive, and only when it is the request's sole kind of invalid part."""
    if not isinstance(failure, AcceptedNegativeData) or media_type != "multipart/form-data":
        return False
    _, _, components = failure.message.partition("Invalid component:")
    parts = [line.strip(" -") for line in components.strip().splitlines() if line.strip()]
    return bool(parts) and all("body" in part and _TEXT_TYPE_MUTATION.search(part) for part in parts)
