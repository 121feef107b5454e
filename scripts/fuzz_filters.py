"""Which Schemathesis failures are not failures of this contract (a plain module: importing it registers no hook)."""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from typing import Any, NamedTuple

import jsonschema_rs
from schemathesis import Case
from schemathesis.core.failures import AcceptedNegativeData, Failure
from schemathesis.core.transport import Response
from schemathesis.openapi.checks import EnsureResourceAvailability, UseAfterFree
from starlette.requests import cookie_parser

from scripts.fuzz_seed import FuzzUser

# Multipart values are text on the wire: a `type: string` field "mutated" to a number, a boolean, null or an object
# arrives as the digits, `true`/`false`, `null` or the object's JSON text, a valid string. Schemathesis 4.32 still
# reports accepting it as ST201. (An array is not text: it goes out as repeated parts, and stays a failure.)
_TEXT_TYPE_MUTATION = re.compile(
    r"violates `type` at /properties/\S+ \(was string, became (integer|number|boolean|null|object)\)"
)
# A cookie's value is what the server reads from the `Cookie` header, which cannot carry every string: leading and
# trailing whitespace is not part of the value (RFC 6265 §5.2), `"..."` is a quoted value and `;` ends the pair.
# Schemathesis judges the value it generated; when the value read from the header it actually sent (with
# Starlette's parser, as the server reads it) satisfies the parameter's schema, or the cookie is absent and optional,
# the server received valid input and was right to accept it. Extra, undeclared query, header or cookie parameters
# may come with it: Schemathesis itself never counts those alone as invalid input (OpenAPI does not forbid them).
_EXTRA_PARAMETERS = ("additionalProperties",)
_NON_BODY = ("query", "header", "cookie")


class Negation(NamedTuple):
    """One part of a negative case that Schemathesis made invalid: where, which parameter, which keywords."""

    location: str
    parameter: str | None
    keywords: tuple[str, ...]


def _invalid_components(failure: AcceptedNegativeData) -> list[str]:
    _, _, components = failure.message.partition("Invalid component:")
    return [line.strip(" -") for line in components.strip().splitlines() if line.strip()]


def multipart_text_false_positive(failure: Failure, media_type: str | None) -> bool:
    """True only for that false positive, and only when it is the request's sole kind of invalid part."""
    if not isinstance(failure, AcceptedNegativeData) or media_type != "multipart/form-data":
        return False
    parts = _invalid_components(failure)
    return bool(parts) and all("body" in part and _TEXT_TYPE_MUTATION.search(part) for part in parts)


def cookie_received_valid(
    failure: Failure,
    negations: Sequence[Negation],
    cookie_header: str,
    cookies: Mapping[str, tuple[Mapping[str, Any], bool]],
) -> bool:
    """True only when some of the case's `negations` are cookies of `cookies` (name → schema, required) whose values,
    read from `cookie_header` (the header sent), are valid or absent and optional, and the rest are extra parameters."""
    if not isinstance(failure, AcceptedNegativeData):
        return False
    received = cookie_parser(cookie_header)
    judged = False
    for negation in negations:
        if negation.location in _NON_BODY and negation.keywords == _EXTRA_PARAMETERS:
            continue
        if negation.location != "cookie" or negation.parameter is None or negation.parameter not in cookies:
            return False
        schema, required = cookies[negation.parameter]
        value = received.get(negation.parameter)
        if (value is None and required) or (
            value is not None and not jsonschema_rs.validator_for(dict(schema)).is_valid(value)
        ):
            return False
        judged = True
    return judged


def negations(case: Case[Any]) -> list[Negation]:
    """What Schemathesis made invalid in a negative case, from its metadata (empty when it does not say)."""
    if case.meta is None:
        return []
    data = case.meta.phase.data
    if data.mutations:
        return [
            Negation(mutation.parameter_location.value, mutation.parameter, tuple(mutation.keywords))
            for mutation in data.mutations
        ]
    if data.parameter_location is not None:
        return [Negation(data.parameter_location.value, data.parameter, ())]
    return []


def cookie_parameters(case: Case[Any]) -> dict[str, tuple[dict[str, Any], bool]]:
    """The operation's cookie parameters declared inline (path-level ones too): name → (schema, required)."""
    path_item = case.operation.schema.raw_schema["paths"].get(case.operation.path, {})
    declared = [*path_item.get("parameters", []), *case.operation.definition.raw.get("parameters", [])]
    return {
        parameter["name"]: (parameter.get("schema", {}), bool(parameter.get("required")))
        for parameter in declared
        if parameter.get("in") == "cookie"
    }


def contract_false_positive(failure: Failure, case: Case[Any], response: Response) -> str | None:
    """Why `failure` is no failure of this contract, whichever users send the requests (None: it is one): the
    multipart text false positive, or a cookie the server received valid."""
    if multipart_text_false_positive(failure, case.media_type):
        return "multipart text"
    cookie_header = str(response.request.headers.get("Cookie") or "")
    if cookie_received_valid(failure, negations(case), cookie_header, cookie_parameters(case)):
        return "cookie received valid"
    return None


# The contract answers a user who may not see an object with the 404 of an unknown id: "any other file only to its
# owner and administrators — others get the same 404 as an unknown id" (getFile, downloadFile), and an account is
# visible only to itself and administrators, others get the 404 of a missing id (getUser, deleteUser).
# `ensure_resource_availability` expects whoever follows a create's link to find the object; with two users, the
# one who may not see it gets that 404 by contract.
_NOT_FOUND_FOR_OTHERS = ("getFile", "downloadFile", "getUser", "deleteUser")


def denied_to_others_as_contracted(
    failure: Failure, operation_id: str, caller: FuzzUser | None, owner: int | None
) -> bool:
    """True only for a created object's 404 on one of those operations, to a known caller who is neither the
    object's known owner nor an administrator."""
    return (
        isinstance(failure, EnsureResourceAvailability)
        and operation_id in _NOT_FOUND_FOR_OTHERS
        and caller is not None
        and not caller.is_admin
        and owner is not None
        and owner != caller.user_id
    )


def put_back_by_the_harness(failure: Failure, user_ids: Collection[str]) -> bool:
    """True only for a use after free whose DELETE removed one of `user_ids`: `make fuzz` puts its fuzzing users back
    after such a DELETE succeeds (scripts/fuzz_hooks.py `after_call`), out of Schemathesis' sight, so the next request
    to that account finds it again. A deleted account of anyone else is still judged."""
    if not isinstance(failure, UseAfterFree):
        return False
    method, _, path = failure.free.partition(" ")
    return method == "DELETE" and path in {f"/users/{user_id}" for user_id in user_ids}
