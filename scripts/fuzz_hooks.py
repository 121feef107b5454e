"""Schemathesis hooks of `make fuzz` (loaded through SCHEMATHESIS_HOOKS by scripts/fuzz_live.py): the two users,
the cross-user check, and keeping both users' accounts usable for the whole run."""

from __future__ import annotations

import asyncio
import atexit
import itertools
import os
import threading
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import requests
import schemathesis
from schemathesis import Case
from schemathesis.core.failures import Failure
from schemathesis.core.transport import Response

from impl.security.authenticator import CSRF_HEADER, SESSION_COOKIE
from scripts.fuzz_access import AccessChecker, Credentials, Observation, operation_paths, report
from scripts.fuzz_env import (
    ADMIN_TOKEN_VARIABLE,
    DATABASE_URL_VARIABLE,
    MEMBER_TOKEN_VARIABLE,
    PASSWORD_HASH_VARIABLE,
    REPORT_VARIABLE,
)
from scripts.fuzz_filters import contract_false_positive, denied_to_others_as_contracted, put_back_by_the_harness
from scripts.fuzz_formats import register as register_uri_probes
from scripts.fuzz_seed import ADMIN, FUZZ_USERS, MEMBER, restore_fuzz_users

register_uri_probes()  # no 10 s search for a `format: uri` violation the URL patterns leave no room for

# Operations after whose success the fuzzing users may need putting back (scripts/fuzz_seed.restore_fuzz_users).
_ACCOUNT_CHANGES = ("deleteUser", "updateUser")
_FUZZ_USER_IDS = {str(user.user_id) for user in FUZZ_USERS}


# Case[Any]: Schemathesis does not export the operation type it is generic over.
def _operation_id(case: Case[Any]) -> str:
    operation_id: str = case.operation.definition.raw.get("operationId", "")
    return operation_id


@cache
def _credentials() -> tuple[Credentials, Credentials]:
    return Credentials(ADMIN, os.environ[ADMIN_TOKEN_VARIABLE]), Credentials(MEMBER, os.environ[MEMBER_TOKEN_VARIABLE])


_CHECKER: list[AccessChecker] = []
_CHECKER_LOCK = threading.Lock()


def _checker(case: Case[Any]) -> AccessChecker:
    """The run's one checker, made at the first case (which supplies the loaded contract, the same for every case)."""
    with _CHECKER_LOCK:
        if not _CHECKER:
            admin, member = _credentials()
            session = requests.Session()

            def send(request: requests.PreparedRequest) -> requests.Response:
                session.cookies.clear()  # each probe carries exactly the credentials it was built with
                return session.send(request, timeout=30, allow_redirects=False)

            _CHECKER.append(AccessChecker(admin, member, operation_paths(case.operation.schema.raw_schema), send))
            atexit.register(_write_report, _CHECKER[0])
        return _CHECKER[0]


def _write_report(checker: AccessChecker) -> None:
    path = os.environ.get(REPORT_VARIABLE)
    if path:
        Path(path).write_text(report(checker.counts))


@schemathesis.auth(refresh_interval=None)
class FuzzUsers:
    """Every request goes out as the administrator or as the member, taking turns per operation, with the session
    cookie and its CSRF header (the cookie, not the bearer header: `ignored_auth` strips only apiKey/http
    credentials, so a bearer token would survive its "no credentials" probe). No caching, no retry on 401: a 401
    is an answer to check, not a token to refresh."""

    def __init__(self) -> None:
        self._turns: dict[str, Iterator[Credentials]] = {}
        self._lock = threading.Lock()

    def get(self, case: Case[Any], context: schemathesis.AuthContext) -> Credentials:
        with self._lock:
            turns = self._turns.setdefault(context.operation.label, itertools.cycle(_credentials()))
            return next(turns)

    def set(self, case: Case[Any], data: Credentials, context: schemathesis.AuthContext) -> None:
        case.cookies[SESSION_COOKIE] = data.token
        case.headers[CSRF_HEADER] = data.user.csrf


@schemathesis.check
def cross_user_authorization(ctx: schemathesis.CheckContext, response: Response, case: Case[Any]) -> bool | None:
    """Neither fuzzing user gets what the contract keeps from them (scripts/fuzz_access.py)."""
    try:
        body = response.json()
    except (ValueError, UnicodeDecodeError):
        body = None
    seen = Observation(
        operation_id=_operation_id(case),
        request=response.request,
        status=response.status_code,
        body=body,
        path_parameters=case.path_parameters or {},
        security=case.operation.definition.raw.get("security"),
    )
    _checker(case).check(seen)
    return None


@schemathesis.hook
def after_call(context: schemathesis.HookContext, case: Case[Any], response: Response) -> None:
    """Put the fuzzing users back after a success that may have ended one's session (`POST /logout`) or deleted,
    deactivated or re-scoped one's account: every later request as that user would get 401 or 403 (allowed, so the
    run would pass while testing nothing)."""
    operation_id = _operation_id(case)
    if not 200 <= response.status_code < 300:
        return
    target = str((case.path_parameters or {}).get("user_id"))
    if operation_id == "logout" or (operation_id in _ACCOUNT_CHANGES and target in _FUZZ_USER_IDS):
        asyncio.run(restore_fuzz_users(os.environ[DATABASE_URL_VARIABLE], os.environ[PASSWORD_HASH_VARIABLE]))


@schemathesis.hook
def filter_failure(context: schemathesis.HookContext, failure: Failure, case: Case[Any], response: Response) -> bool:
    """Keep every failure except those scripts/fuzz_filters.py shows are not failures of this contract: Schemathesis'
    multipart text false positive, a cookie the server received valid, a created object's 404 to a user the
    contract refuses it to with that 404, and a deleted fuzzing user found again because `after_call` put it back."""
    checker = _checker(case)
    caller = checker.caller(response.request)
    owner = checker.owner(_operation_id(case), case.path_parameters or {})
    reason = contract_false_positive(failure, case, response)
    if reason is None and denied_to_others_as_contracted(
        failure, _operation_id(case), caller.user if caller else None, owner
    ):
        reason = "404 to a user the object is hidden from"
    if reason is None and put_back_by_the_harness(failure, _FUZZ_USER_IDS):
        reason = "a deleted fuzzing user the run put back"
    if reason is None:
        return True
    checker.count(f"filtered: {reason}")  # reported with the cross-user counts, so every drop is visible
    return False
