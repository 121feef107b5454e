"""Schemathesis hooks of `make fuzz` (loaded through SCHEMATHESIS_HOOKS by scripts/fuzz_live.py)."""

from __future__ import annotations

import asyncio
import os
import re
from typing import Any

import schemathesis
from schemathesis import Case
from schemathesis.core.failures import AcceptedNegativeData, Failure
from schemathesis.core.transport import Response

from scripts.fuzz_seed import reopen_fuzzer_session

# Set by scripts/fuzz_live.py: the live server's database.
DATABASE_URL_VARIABLE = "FUZZ_DATABASE_URL"


# Case[Any]: Schemathesis does not export the operation type it is generic over.
@schemathesis.hook
def after_call(context: schemathesis.HookContext, case: Case[Any], response: Response) -> None:
    """Undo a successful `POST /logout`: it ends the session the fuzzer's own token names, and every later request
    would get 401 (allowed, so the run would pass while testing nothing)."""
    if case.operation.definition.raw.get("operationId") == "logout" and 200 <= response.status_code < 300:
        asyncio.run(reopen_fuzzer_session(os.environ[DATABASE_URL_VARIABLE]))


# Multipart values are text on the wire: a `type: string` field "mutated" to a number or a boolean arrives as the
# digits or `true`/`false`, a valid string. Schemathesis 4.32 still reports accepting it as ST201.
_TEXT_TYPE_MUTATION = re.compile(r"violates `type` at /properties/\S+ \(was string, became (integer|number|boolean)\)")


@schemathesis.hook
def filter_failure(context: schemathesis.HookContext, failure: Failure, case: Case[Any], response: Response) -> bool:
    """Keep every failure except that false positive, and only when it is the request's sole kind of invalid part."""
    if not isinstance(failure, AcceptedNegativeData) or case.media_type != "multipart/form-data":
        return True
    _, _, components = failure.message.partition("Invalid component:")
    parts = [line.strip(" -") for line in components.strip().splitlines() if line.strip()]
    return not (parts and all("body" in part and _TEXT_TYPE_MUTATION.search(part) for part in parts))
