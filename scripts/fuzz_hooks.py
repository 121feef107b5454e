"""Schemathesis hooks of `make fuzz` (loaded through SCHEMATHESIS_HOOKS by scripts/fuzz_live.py)."""

from __future__ import annotations

import asyncio
import os
from typing import Any

import schemathesis
from schemathesis import Case
from schemathesis.core.failures import Failure
from schemathesis.core.transport import Response

from scripts.fuzz_filters import multipart_text_false_positive
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


@schemathesis.hook
def filter_failure(context: schemathesis.HookContext, failure: Failure, case: Case[Any], response: Response) -> bool:
    """Keep every failure except Schemathesis' multipart text false positive (scripts/fuzz_filters.py)."""
    return not multipart_text_false_positive(failure, case.media_type)
