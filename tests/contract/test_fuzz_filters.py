"""`make fuzz` (scripts/fuzz_hooks.py) drops exactly four kinds of failure: Schemathesis' multipart text sent as
digits or JSON text, a cookie whose value as sent is valid, a created object's 404 to the user the contract
refuses it to with that 404, and a deleted fuzzing user found again after the run put it back."""

from __future__ import annotations

import pytest
from schemathesis.core.failures import AcceptedNegativeData, Failure
from schemathesis.openapi.checks import EnsureResourceAvailability, UseAfterFree

from scripts.fuzz_filters import (
    Negation,
    cookie_received_valid,
    denied_to_others_as_contracted,
    multipart_text_false_positive,
    put_back_by_the_harness,
)
from scripts.fuzz_seed import ADMIN, FUZZ_USERS, MEMBER, FuzzUser

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


def _not_found(operation: str = "POST /files") -> EnsureResourceAvailability:
    return EnsureResourceAvailability(
        operation=operation, message="404", created_with=operation, not_available_with="GET /files/{file_id}"
    )


def test_a_created_objects_404_to_a_member_who_may_not_see_it_is_dropped() -> None:
    assert denied_to_others_as_contracted(_not_found(), "getFile", MEMBER, ADMIN.user_id)
    assert denied_to_others_as_contracted(_not_found("POST /users"), "getUser", MEMBER, 12)


@pytest.mark.parametrize(
    ("operation", "caller", "owner"),
    [
        ("getFile", MEMBER, MEMBER.user_id),  # the member's own file must be found
        ("getFile", ADMIN, MEMBER.user_id),  # administrators see every file
        ("getFile", MEMBER, None),  # an owner the check does not know: keep the failure
        ("getFile", None, ADMIN.user_id),  # a caller who is neither fuzzing user
        ("getItem", MEMBER, ADMIN.user_id),  # items are public: a 404 is a real failure
    ],
)
def test_every_other_created_objects_404_is_kept(operation: str, caller: FuzzUser | None, owner: int | None) -> None:
    assert not denied_to_others_as_contracted(_not_found(), operation, caller, owner)


def test_only_that_failure_is_dropped() -> None:
    assert not denied_to_others_as_contracted(_accepted(TYPE_ONLY), "getFile", MEMBER, ADMIN.user_id)


@pytest.mark.parametrize("mutation", ["object", "null"])
def test_a_text_field_sent_as_json_text_in_multipart_is_dropped(mutation: str) -> None:
    # `null` goes out as the four characters n-u-l-l: a valid caption (seen in CI: POST /items/{item_id}/images, 201).
    message = f"Invalid component: in body - violates `type` at /properties/name (was string, became {mutation})"
    assert not _keep(_accepted(message), "multipart/form-data")
    array = "Invalid component: in body - violates `type` at /properties/name (was string, became array)"
    assert _keep(_accepted(array), "multipart/form-data")  # repeated parts, not one text value


COOKIE_PATTERN = "Invalid component: parameter `last_query` in cookie - violates `pattern` at /properties/last_query"
LAST_QUERY = {"last_query": ({"type": "string", "maxLength": 1200, "pattern": "^[A-Za-z0-9%._~-]*$"}, False)}
COOKIE = Negation("cookie", "last_query", ("pattern",))
EXTRA_QUERY = Negation("query", None, ("additionalProperties",))


@pytest.mark.parametrize(
    ("header", "negations"),
    [
        ("last_query=;x; access_token=t", [COOKIE]),  # a generated ";x" ends the pair: the server reads ""
        ("last_query=a;b", [COOKIE]),  # "a;b" is read as "a"
        ("last_query= ; access_token=t", [COOKIE]),  # whitespace is not part of a value (RFC 6265 §5.2)
        ('last_query=""', [COOKIE]),  # a quoted empty value
        ("access_token=t", [COOKIE]),  # the optional cookie did not survive serialisation at all
        ("last_query=;x", [EXTRA_QUERY, COOKIE]),  # with undeclared query parameters, which alone are no negation
    ],
)
def test_a_cookie_the_server_received_valid_is_dropped(header: str, negations: list[Negation]) -> None:
    assert cookie_received_valid(_accepted(COOKIE_PATTERN), negations, header, LAST_QUERY)


@pytest.mark.parametrize(
    ("negations", "header", "cookies"),
    [
        ([COOKIE], 'last_query="a b"', LAST_QUERY),  # received "a b": the server should have refused it
        ([COOKIE], "last_query=%zz!", LAST_QUERY),
        ([COOKIE], "access_token=t", {"last_query": (LAST_QUERY["last_query"][0], True)}),  # required, absent
        ([COOKIE, Negation("query", "q", ("pattern",))], "last_query=", LAST_QUERY),  # an invalid query as well
        ([COOKIE, Negation("body", None, ("type",))], "last_query=", LAST_QUERY),
        ([EXTRA_QUERY], "last_query=", LAST_QUERY),  # nothing of a cookie to judge
        ([], "last_query=", LAST_QUERY),  # Schemathesis did not say what it negated
        ([COOKIE], "last_query=", {}),  # a cookie the operation does not declare inline
    ],
)
def test_every_other_accepted_cookie_is_kept(
    negations: list[Negation], header: str, cookies: dict[str, tuple[dict[str, object], bool]]
) -> None:
    assert not cookie_received_valid(_accepted(COOKIE_PATTERN), negations, header, cookies)


def test_only_accepted_negative_data_is_judged_by_the_cookie_rule() -> None:
    assert not cookie_received_valid(_not_found(), [COOKIE], "last_query=", LAST_QUERY)


def _used_after_free(free: str) -> UseAfterFree:
    return UseAfterFree(operation="DELETE /users/{user_id}", message="200", free=free, usage="PATCH " + free[7:])


FUZZ_USER_IDS = {str(user.user_id) for user in FUZZ_USERS}  # as scripts/fuzz_hooks.py keeps them


def test_a_deleted_fuzzing_user_found_again_after_the_run_put_it_back_is_dropped() -> None:
    assert put_back_by_the_harness(_used_after_free(f"DELETE /users/{MEMBER.user_id}"), FUZZ_USER_IDS)
    assert put_back_by_the_harness(_used_after_free(f"DELETE /users/{ADMIN.user_id}"), FUZZ_USER_IDS)


@pytest.mark.parametrize(
    "failure",
    [
        _used_after_free("DELETE /users/12"),  # an account the fuzzer created: nobody puts it back
        _used_after_free(f"DELETE /users/{MEMBER.user_id}0"),  # another id that only starts like one
        _used_after_free(f"DELETE /items/{MEMBER.user_id}"),  # another resource with the same id
        _accepted(TYPE_ONLY),
    ],
)
def test_every_other_use_after_free_is_kept(failure: Failure) -> None:
    assert not put_back_by_the_harness(failure, FUZZ_USER_IDS)
