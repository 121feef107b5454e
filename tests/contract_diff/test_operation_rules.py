"""Operation rules in both directions: operations, parameters, bodies, responses and security."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tests.contract_diff.documents import diff, document

OP = "POST /things/{thing_id}"


def _param(place: str, *, required: bool, **schema: Any) -> dict[str, Any]:
    return {"name": f"x-{place}", "in": place, "required": required, "schema": {"type": "string", **schema}}


def test_removed_operation_is_breaking_and_a_new_one_is_not() -> None:
    base = document()
    head = copy.deepcopy(base)
    head["paths"]["/things"] = {"get": {"responses": {"200": {"description": "All things."}}}}
    assert diff(base, head) == []
    assert diff(head, base) == ["GET /things: operation removed — clients calling it now get an error"]


def test_removed_response_status_is_breaking_and_a_new_one_is_not() -> None:
    base = document()
    head = copy.deepcopy(base)
    del head["paths"]["/things/{thing_id}"]["post"]["responses"]["404"]
    assert diff(base, head) == [
        f"{OP} response 404: response status removed — clients handling it rely on its documented shape"
    ]
    assert diff(head, base) == []


def test_renaming_a_path_parameter_is_not_a_new_operation() -> None:
    base = document()
    head = copy.deepcopy(base)
    operation = head["paths"].pop("/things/{thing_id}")
    operation["post"]["parameters"][0]["name"] = "id"
    head["paths"]["/things/{id}"] = operation
    assert diff(base, head) == []


@pytest.mark.parametrize("place", ["query", "header", "cookie"])
def test_new_required_parameter_is_breaking_and_a_removed_one_is_not(place: str) -> None:
    base, head = document(), document(parameters=[_param(place, required=True)])
    assert diff(base, head) == [
        f"{OP} {place} parameter x-{place}: new required parameter — requests without it are now rejected"
    ]
    assert diff(head, base) == []


def test_new_required_path_parameter_is_breaking() -> None:
    base = document()
    head = copy.deepcopy(base)
    operation = head["paths"].pop("/things/{thing_id}")
    operation["post"]["parameters"].append(
        {"name": "part", "in": "path", "required": True, "schema": {"type": "string"}}
    )
    head["paths"]["/things/{thing_id}/{part}"] = operation
    findings = diff(base, head)
    assert f"{OP}: operation removed — clients calling it now get an error" in findings


@pytest.mark.parametrize("place", ["query", "header", "cookie"])
def test_optional_parameter_made_required_is_breaking_and_the_reverse_is_not(place: str) -> None:
    base, head = (
        document(parameters=[_param(place, required=False)]),
        document(parameters=[_param(place, required=True)]),
    )
    assert diff(base, head) == [
        f"{OP} {place} parameter x-{place}: optional parameter made required — requests without it are now rejected"
    ]
    assert diff(head, base) == []


def test_new_optional_parameter_is_not_breaking() -> None:
    assert diff(document(), document(parameters=[_param("query", required=False)])) == []


def test_narrowed_parameter_schema_is_breaking_and_widened_is_not() -> None:
    wide = document(parameters=[_param("query", required=False, maxLength=100)])
    narrow = document(parameters=[_param("query", required=False, maxLength=10, pattern="^[a-z]*$")])
    findings = diff(wide, narrow)
    assert (
        f"{OP} query parameter x-query: maxLength narrowed from 100 to 10 — "
        "requests valid against the base contract are now rejected" in findings
    )
    assert any("query parameter x-query: pattern changed from none to '^[a-z]*$'" in line for line in findings)
    assert diff(narrow, wide) == []


def test_header_parameters_match_case_insensitively() -> None:
    base = document(parameters=[{"name": "If-Match", "in": "header", "schema": {"type": "string"}}])
    head = document(parameters=[{"name": "if-match", "in": "header", "schema": {"type": "string"}}])
    assert diff(base, head) == []


def test_request_body_made_required_is_breaking_and_made_optional_is_not() -> None:
    required = document()
    optional = copy.deepcopy(required)
    optional["paths"]["/things/{thing_id}"]["post"]["requestBody"]["required"] = False
    assert diff(optional, required) == [
        f"{OP} request body: request body made required — requests without a body are now rejected"
    ]
    assert diff(required, optional) == []


def test_removed_request_media_type_is_breaking_and_an_added_one_is_not() -> None:
    base = document()
    head = copy.deepcopy(base)
    body = head["paths"]["/things/{thing_id}"]["post"]["requestBody"]["content"]
    body["application/x-www-form-urlencoded"] = body["application/json"]
    assert diff(base, head) == []
    assert diff(head, base) == [
        f"{OP} request body (application/x-www-form-urlencoded): media type removed — "
        "requests sending it are now rejected"
    ]


def test_removed_response_header_is_breaking_and_an_added_one_is_not() -> None:
    base = document()
    head = copy.deepcopy(base)
    del head["paths"]["/things/{thing_id}"]["post"]["responses"]["200"]["headers"]["Location"]
    assert diff(base, head) == [
        f"{OP} response 200 header Location: response header removed — clients reading it no longer get it"
    ]
    assert diff(head, base) == []


# (case, base security, head security, finding): each makes the operation harder to call; the mirror does not.
SECURITY: list[tuple[str, list[dict[str, list[str]]] | None, list[dict[str, list[str]]], str]] = [
    (
        "requirement added",
        None,
        [{"OAuth2": ["read"]}],
        "authentication now required — anonymous clients are now rejected",
    ),
    ("anonymous alternative removed", [{}, {"OAuth2": []}], [{"OAuth2": []}], "authentication now required"),
    (
        "scope added",
        [{"OAuth2": ["read"]}],
        [{"OAuth2": ["read", "write"]}],
        "scope(s) write added to requirement OAuth2[read]",
    ),
    (
        "alternative removed",
        [{"OAuth2": ["read"]}, {"ApiKey": []}],
        [{"OAuth2": ["read"]}],
        "security alternative ApiKey removed",
    ),
    (
        "scheme added to an alternative",
        [{"OAuth2": []}],
        [{"OAuth2": [], "ApiKey": []}],
        "requirement ApiKey added to alternative OAuth2",
    ),
]


@pytest.mark.parametrize(("base", "head", "text"), [case[1:] for case in SECURITY], ids=[case[0] for case in SECURITY])
def test_stricter_security_is_breaking_and_looser_is_not(
    base: list[dict[str, list[str]]] | None, head: list[dict[str, list[str]]], text: str
) -> None:
    findings = diff(document(security=base), document(security=head))
    assert len(findings) == 1 and findings[0].startswith(f"{OP} security: ") and text in findings[0], findings
    assert diff(document(security=head), document(security=base)) == []


def test_removing_security_entirely_is_not_breaking() -> None:
    assert diff(document(security=[{"OAuth2": ["read", "write"]}, {"ApiKey": []}]), document(security=[])) == []


def test_root_security_applies_to_operations_without_their_own() -> None:
    base, head = document(), document()
    head["security"] = [{"ApiKey": []}]
    assert diff(base, head) == [f"{OP} security: authentication now required — anonymous clients are now rejected"]


def test_changed_security_scheme_definition_is_breaking() -> None:
    base, head = document(), document()
    head["components"]["securitySchemes"]["OAuth2"]["flows"]["password"]["tokenUrl"] = "/oauth/token"
    head["components"]["securitySchemes"]["ApiKey"]["name"] = "X-Key"
    assert diff(base, head) == [
        "components.securitySchemes.OAuth2: OAuth2 password tokenUrl changed — "
        "clients using it can no longer get tokens",
        "components.securitySchemes.ApiKey: name changed from X-API-Key to X-Key — clients authenticating the base way "
        "are now rejected",
    ]
